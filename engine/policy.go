package engine

import (
	"sort"
	"strings"
	"unicode"
)

// Document is one policy source document: a file in policy/.
type Document struct {
	File       string       `yaml:"-"`
	Layer      int          `yaml:"-"` // the corpus layer it belongs to, 0 the lowest
	Lens       Ref          `yaml:"lens"`
	Source     Ref          `yaml:"source"`
	Kind       string       `yaml:"kind"`
	Year       int          `yaml:"year"`
	Title      Text         `yaml:"title"`
	Issuer     Text         `yaml:"issuer"`
	Statements []*Statement `yaml:"statements"`
}

// Statement is a short verbatim passage of a policy document that scenarios cite.
type Statement struct {
	LocalID   Ref    `yaml:"id"`
	Section   string `yaml:"section"`
	Quote     string `yaml:"quote"`
	Summary   Text   `yaml:"summary"`
	Topics    []Ref  `yaml:"topics"`
	Contrasts []Ref  `yaml:"contrasts"`
	// Overrides, in a policy layer, replaces the statement with the same id of a lower layer;
	// its value is the reason, for the reader.
	Overrides Ref `yaml:"overrides"`

	// ID is the full id, lens/local-id.
	ID  string    `yaml:"-"`
	Doc *Document `yaml:"-"`

	replacedBy *Statement
}

// Lens returns the lens the statement belongs to.
func (s *Statement) Lens() string { return s.Doc.Lens.Value }

// Lens is a set of documents that count when scoring: one policy view.
type Lens struct {
	ID        string
	Documents []*Document
}

// Title returns the lens's name: its first document's title.
func (l *Lens) Title() Text {
	if len(l.Documents) == 0 {
		return Text{NL: l.ID, EN: l.ID}
	}
	return l.Documents[0].Title
}

// Corpus holds every statement of every document, by full id.
type Corpus struct {
	Documents  []*Document
	statements map[string]*Statement
	lenses     map[string]*Lens
	// incomplete is set when a policy file could not be read: citations of statements that
	// are missing are then not reported, because the root error is the broken file.
	incomplete bool
}

// Statement returns the statement with full id "lens/id", or nil.
func (c *Corpus) Statement(id string) *Statement { return c.statements[id] }

// Lens returns the lens with the given id, or nil.
func (c *Corpus) Lens(id string) *Lens { return c.lenses[id] }

// Lenses returns all lens ids, sorted.
func (c *Corpus) Lenses() []string {
	ids := make([]string, 0, len(c.lenses))
	for id := range c.lenses {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Statements returns all statements in document order, leaving out those that a higher
// layer overrides.
func (c *Corpus) Statements() []*Statement {
	var all []*Statement
	for _, d := range c.Documents {
		for _, s := range d.Statements {
			if s.replacedBy == nil && c.statements[s.ID] == s {
				all = append(all, s)
			}
		}
	}
	return all
}

// NormalizeQuote folds the differences that should not make a quote mismatch its source:
// runs of white space (including non-breaking and em spaces), typographic quotes and dashes,
// and soft hyphens.
func NormalizeQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch r {
		case '\u00ad':
			continue
		case '‘', '’', '‚', '‛', '´', '`':
			r = '\''
		case '“', '”', '„', '‟', '«', '»':
			r = '"'
		case '–', '—', '‐', '‑', '‒', '−':
			r = '-'
		}
		if unicode.IsSpace(r) || r == '\u00a0' || r == '\u2003' || r == '\u2002' || r == '\u2009' || r == '\u202f' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
