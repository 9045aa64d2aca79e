package engine

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Layer is one policy folder of a corpus. The built-in corpus is the first layer; an author's
// policy/ folders lie on top of it. A statement with a new id adds to the corpus; one with the
// id of a statement of a lower layer is an error, unless it says `overrides: <reason>`, in
// which case it replaces that statement.
type Layer struct {
	FS    fs.FS
	Files []string // paths of the policy files in FS
	// Dir is put before the paths in FS to name the files in diagnostics, so that files of
	// different layers with the same path are told apart.
	Dir string
}

// LoadCorpus loads the policy documents in files: a corpus of one layer.
func LoadCorpus(fsys fs.FS, files []string, diags *Diagnostics) *Corpus {
	return LoadLayers([]Layer{{FS: fsys, Files: files}}, diags)
}

// LoadLayers loads a layered corpus, the lowest layer first. A document with errors still
// contributes the statements that are well formed, so that one mistake is reported once and
// not again at every citation of its statements.
func LoadLayers(layers []Layer, diags *Diagnostics) *Corpus {
	c := &Corpus{statements: map[string]*Statement{}, lenses: map[string]*Lens{}}
	for i, layer := range layers {
		files := append([]string(nil), layer.Files...)
		sort.Strings(files)
		own := map[string]*Statement{}
		for _, f := range files {
			if replacedAbove(layers[i+1:], f) {
				continue
			}
			name := f
			if layer.Dir != "" {
				name = path.Join(layer.Dir, f)
			}
			c.loadDocument(layer.FS, f, name, i, own, diags)
		}
	}
	for _, doc := range c.Documents {
		for _, s := range doc.Statements {
			for _, r := range s.Contrasts {
				o := c.statements[r.Value]
				switch {
				case o == nil:
					diags.addf(Error, doc.File, r.Pos, "unknown statement %q%s", r.Value, c.suggestStatement(r.Value))
				case o.Lens() == s.Lens():
					diags.addf(Warning, doc.File, r.Pos, "%s contrasts with %s of the same lens", s.ID, r.Value)
				}
			}
		}
	}
	return c
}

func at(file string, p Pos) string { return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Column) }

// loadDocument loads one policy file of a layer; own holds the statements of the layer so far.
func (c *Corpus) loadDocument(fsys fs.FS, f, name string, layer int, own map[string]*Statement, diags *Diagnostics) {
	data := readFileAs(fsys, f, name, diags)
	if data == nil {
		c.incomplete = true
		return
	}
	doc := &Document{File: name, Layer: layer}
	if decodeFile(name, data, doc, diags) == nil {
		c.incomplete = true
		return
	}
	req := func(empty bool, p Pos, what string) {
		if empty {
			diags.add(Error, name, p, what+" is required")
		}
	}
	req(doc.Lens.Value == "", Pos{1, 1}, "lens")
	req(doc.Source.Value == "", Pos{1, 1}, "source")
	req(doc.Title.NL == "" || doc.Title.EN == "", doc.Title.Pos, "title (nl and en)")
	if doc.Kind != "cabinet" && doc.Kind != "party" {
		diags.addf(Error, name, Pos{1, 1}, "kind must be cabinet or party, not %q", doc.Kind)
	}
	if doc.Lens.Value == "" || !idRE.MatchString(doc.Lens.Value) {
		if doc.Lens.Value != "" {
			diags.addf(Error, name, doc.Lens.Pos, "lens id %q must be lowercase kebab-case", doc.Lens.Value)
		}
		c.incomplete = true
		return
	}
	var kept []*Statement
	for _, s := range doc.Statements {
		s.Doc = doc
		s.ID = doc.Lens.Value + "/" + s.LocalID.Value
		if strings.TrimSpace(s.Quote) == "" {
			diags.addf(Error, name, s.LocalID.Pos, "statement %s has no quote", s.ID)
		}
		if s.Section == "" {
			diags.addf(Error, name, s.LocalID.Pos, "statement %s has no section", s.ID)
		}
		checkText(diags, name, s.Summary, "summary of "+s.ID, false)
		if !idRE.MatchString(s.LocalID.Value) {
			diags.addf(Error, name, s.LocalID.Pos, "statement id %q must be lowercase kebab-case", s.LocalID.Value)
			c.incomplete = true
			continue
		}
		if prev := own[s.ID]; prev != nil {
			diags.addf(Error, name, s.LocalID.Pos, "statement %s is defined twice: at %s and here, at %s", s.ID, at(prev.Doc.File, prev.LocalID.Pos), at(name, s.LocalID.Pos))
			continue
		}
		own[s.ID] = s
		kept = append(kept, s)
		lower := c.statements[s.ID]
		override := s.Overrides.Pos.Line > 0
		switch {
		case override && strings.TrimSpace(s.Overrides.Value) == "":
			diags.addf(Error, name, s.Overrides.Pos, "overrides needs a reason: say why this statement replaces %s", s.ID)
		case override && lower == nil:
			diags.addf(Error, name, s.Overrides.Pos, "statement %s overrides nothing: no lower layer defines it (remove `overrides:` to add it as a new statement)", s.ID)
		case !override && lower != nil:
			diags.addf(Error, name, s.LocalID.Pos, "statement %s already exists in %s: give yours a new id, or add `overrides: <reason>` to replace it", s.ID, at(lower.Doc.File, lower.LocalID.Pos))
			continue
		}
		if lower != nil {
			lower.replacedBy = s
		}
		c.statements[s.ID] = s
	}
	doc.Statements = kept
	c.Documents = append(c.Documents, doc)
	l := c.lenses[doc.Lens.Value]
	if l == nil {
		l = &Lens{ID: doc.Lens.Value}
		c.lenses[l.ID] = l
	}
	l.Documents = append(l.Documents, doc)
}

// suggestStatement names the closest statement id to a misspelt citation.
func (c *Corpus) suggestStatement(id string) string {
	ids := make([]string, 0, len(c.statements))
	for k := range c.statements {
		ids = append(ids, k)
	}
	return didYouMean(id, ids)
}

// replacedAbove reports whether a higher layer has a file of the same name: a newer version
// of the same document (a copy of a built-in policy file being edited), which replaces the
// lower file as a whole instead of being layered on it statement by statement.
func replacedAbove(above []Layer, file string) bool {
	for _, l := range above {
		for _, f := range l.Files {
			if path.Base(f) == path.Base(file) {
				return true
			}
		}
	}
	return false
}
