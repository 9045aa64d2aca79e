package engine

import (
	"fmt"
	"sort"
	"strings"
)

// CodeInfo documents one diagnostic code: what it means and how to fix it.
type CodeInfo struct {
	Code    string
	Title   string
	Explain string
}

// Codes lists every diagnostic code, in the order of the documentation. A code is stable:
// scripts and editors may match on it, so a code is never renamed or reused.
var Codes = []CodeInfo{
	{"yaml-syntax", "The file is not valid YAML",
		"The YAML parser stopped at this position. Usual causes: an indentation that does not line up with the entries around it, a `key: value` whose value contains `: ` or starts with a quote or `[` without quoting the whole value, a tab used for indentation, or a missing `-` in a list. The position is where the parser noticed the problem; look at the line and the one before it."},
	{"yaml-alias", "YAML anchors, aliases and merge keys are not allowed",
		"`&anchor`, `*alias` and `<<:` let a small file expand to an enormous one, and they hide where a value comes from. Write the value out in full."},
	{"file", "The file cannot be read",
		"The file does not exist, cannot be read, is empty, or is larger than the limit of 4 MiB."},
	{"unknown-field", "A field the format does not have",
		"The field is not part of the format at this place, often a misspelling: the message suggests the closest known field. docs/FORMAT.md lists every field, and `paraat schema` writes a JSON Schema an editor can complete from."},
	{"duplicate-field", "A field given twice in the same mapping",
		"YAML keeps only one of the two values, so the other would be lost silently. Remove one of them."},
	{"assessment-gate", "An assessment gate of paraat analyze fails",
		"The file can be gamed or its choices barely matter: a naive strategy (always the longest, shortest, first or last option, select every option) scores above 60% of the policy path or reaches the best ending, random play scores above 50%, the key is the longest option too often, there are fewer than three reachable endings, the policy path does not reach the one best ending, fewer than half of its decisions change the ending when taken worst, or a clock runs backwards. `paraat analyze FILE` shows the numbers behind it; docs/ANALYZE.md explains each gate. Fix the content, or lift the gate with `relax:` and a reason a policy expert would accept."},
	{"gate-relaxed", "An assessment gate is lifted for this file",
		"The file lifts a gate with `relax:`; the message quotes the author's reason and says whether the gate would pass anyway. Trainers see the same reason in `paraat analyze` and the viewer."},
	{"relax", "A relax: entry is malformed",
		"Every entry of `relax:` names a known gate once and gives a reason in Dutch and English: `relax: [{gate: key-longest, reason: {nl: ..., en: ...}}]`."},
	{"brief", "The brief is incomplete",
		"`brief:` says what the file trains (`goals`, at least one), the documents it rests on (`sources`) and the disagreements it exercises (`disagreements`), each a text in Dutch and English."},
	{"best-ending", "More than one ending is marked best",
		"Mark exactly one ending `best: true`: the ending the policy path should reach. The best-ending gate checks that it does and that no naive strategy does."},
	{"assess", "An assess value that does not fit the question",
		"`assess` is `judgement` (the default: policy-weighted partial credit) or `fact` (right or wrong), and `fact` applies to choice, multi and number questions."},
	{"fixed-order", "fixed where there is no order to keep",
		"`fixed: true` keeps options in the file's order (ordinal scales) or one option in its place (\"none of the above\"); number and text questions have no options to order."},
	{"wrong-type", "A value of the wrong type",
		"The field expects another kind of value: a text `{nl: ..., en: ...}`, a list, a mapping, a whole number, a number, true/false or a duration such as `90s`. Whole-number fields and int state variables do not take fractions."},
	{"missing-translation", "A text lacks Dutch or English",
		"Every text a participant sees is written in Dutch (`nl`) and English (`en`). For titles, prompts, option texts and names a missing language is an error; for feedback, summaries and other optional texts it is a warning."},
	{"missing-label", "A state variable or inject without a name",
		"Screens and reports name things, never ids: a state variable needs a `label: {nl: ..., en: ...}` and an inject a `title: {nl: ..., en: ...}`, or the projector, the console and the after-action report can only call it unnamed. A warning for now, so that older files still load."},
	{"missing-field", "A required field is missing or empty",
		"The message names the field. A scenario needs an id, title, lens, start, at least one role, inject and ending; a question needs a type and a prompt; a statement needs an id, section and quote."},
	{"id-syntax", "An id or variable name that is not allowed",
		"Ids are lowercase kebab-case: a-z, 0-9 and `-`, starting with a letter or digit. State variable names use letters, digits and `_`, and may not be the name of a built-in (`elapsed`, `score`, `lens`, ...)."},
	{"duplicate-id", "The same id is defined twice",
		"Ids must be unique: scenario ids in the library, inject, question, rule and ending ids in a scenario, option ids in a question, statement ids in a lens within one corpus layer. The message names both places."},
	{"statement-exists", "A policy layer redefines a statement of the layer below",
		"A statement in your policy/ folder has the id of a statement that already exists in the built-in corpus (or a layer below yours). Give your statement a new id to add it; or, if you mean to replace the existing statement, say so with `overrides: <reason>` on your statement."},
	{"override-nothing", "`overrides:` names no existing statement",
		"`overrides:` replaces a statement of a lower layer with the same lens and id, but there is none. Remove `overrides:` to add a new statement, or correct the id."},
	{"unknown-statement", "A citation of a statement that does not exist",
		"Statements are cited by their full id, `lens/id`, as defined in a policy/ file (the built-in corpus or your own layer). The message suggests the closest existing id."},
	{"unknown-lens", "A lens that does not exist",
		"A lens is the set of policy documents scoring is done against; its id is the `lens:` of the policy files. The message lists or suggests the known ones."},
	{"unknown-inject", "A reference to an inject that does not exist",
		"`start`, `goto`, a rule's `inject`, `visited(...)` and a test's `visited` name injects by id. The message suggests the closest id."},
	{"unknown-question", "A reference to a question that does not exist",
		"`chose(...)`, `answered(...)` and a test's `answers` name questions by id. The message suggests the closest id."},
	{"unknown-option", "A reference to an option the question does not have",
		"`chose(q, o)` and test answers name options of question q. The message suggests the closest option id."},
	{"unknown-role", "A reference to a role that does not exist",
		"A question's `roles` and `decides: role:ID` name roles declared under `roles:`."},
	{"unknown-ending", "A reference to an ending that does not exist",
		"A test's `expect: ending:` names an ending declared under `endings:`."},
	{"unknown-rule", "A reference to a rule that does not exist",
		"`fired(...)` names a rule declared under `rules:`."},
	{"unknown-name", "An expression uses a name that does not exist",
		"Expressions may use the scenario's state variables, the helpers `chose`, `answered`, `visited`, `fired`, the built-ins `elapsed`, `answer_time`, `role`, `lens`, `score`, and the functions listed in docs/FORMAT.md. The message suggests the closest name."},
	{"expression", "An expression does not compile",
		"The expression has a syntax error, a type error (a condition must give true or false, a score override a number) or uses something the engine refuses for safety (see Expressions in docs/FORMAT.md). The position points into the expression."},
	{"lossy-assignment", "An effect would silently lose a fraction",
		"An int state variable can only hold whole numbers. `x += 2.5` or `x = x * 1.5` would round the result. Make the variable `type: float`, or wrap the value in `round(...)`, `floor(...)` or `ceil(...)` to say how to round."},
	{"invalid-value", "A value outside what the field allows",
		"The message says which values the field accepts."},
	{"test", "A playthrough test is malformed",
		"A test has a name, `answers` (`policy`, or a mapping of question ids to answers of the question's type) and `expect`. The message says what is wrong."},
	{"implicit-answer", "A test leaves a question unanswered without saying how",
		"A playthrough test that lists its answers must answer every question the playthrough reaches, or declare `default: first` (take the first option offered) or `default: none` (leave unlisted questions unanswered). Otherwise a test can pass by an accident of option order."},
	{"quote-mismatch", "A quote does not occur in its source document",
		"With `--sources DIR`, every statement's quote must occur verbatim in its source text (white space, typographic quotes and dashes are ignored). Copy the passage again from the source."},
	{"source-missing", "A policy document's source text cannot be found",
		"With `--sources DIR`, the file named by `source:` must exist in one of the folders given."},
	{"not-cited", "A policy statement no scenario or quiz cites",
		"A warning: the statement is in the corpus but nothing rests on it. Cite it, or leave it out of your layer."},
	{"not-addressed", "A question the scenario's own lens does not address",
		"A warning: none of the question's citations belong to the scenario's lens, so under that lens it is not scored."},
	{"unreachable", "An inject that cannot be reached",
		"No `start`, `next` or rule leads to the inject, so no playthrough shows it."},
	{"dead-end", "A playthrough can end without a guaranteed ending",
		"An inject without `next` (or whose last `next` entry has a condition) ends the playthrough, but every ending has a condition. Give the last ending no `when`, so there is always an ending."},
	{"open-branches", "Every `next` entry of an inject has a condition",
		"A warning: when none of the conditions holds, the playthrough ends at this inject and an ending is chosen. If that is meant, nothing needs to change; if the playthrough should go on, add a last `next` entry without `when`."},
	{"shadowed", "An entry that can never be taken",
		"A `next` entry or ending without a condition comes before others: the ones after it are never used. Move the unconditional entry to the end."},
}

// codeRules assign a code to a diagnostic by the words of its message format: the first rule
// whose words occur wins. Keeping the rules here, in one table, means a message written in any
// file of the engine gets a code without the call site naming one.
var codeRules = []struct{ words, code string }{
	{"yaml aliases", "yaml-alias"},
	{"merge keys", "yaml-alias"},
	{"does not occur in", "quote-mismatch"},
	{"source document", "source-missing"},
	{"is not cited", "not-cited"},
	{"cites no statement of the scenario's lens", "not-addressed"},
	{"is unreachable", "unreachable"},
	{"dead end", "dead-end"},
	{"never taken", "shadowed"},
	{"never reached", "shadowed"},
	{"when none holds", "open-branches"},
	{"missing translation", "missing-translation"},
	{"cannot name it", "missing-label"},
	{"relax", "relax"},
	{"brief", "brief"},
	{"best: true", "best-ending"},
	{"assess", "assess"},
	{"fixed keeps", "fixed-order"},
	{"unknown field", "unknown-field"},
	{"unknown language", "unknown-field"},
	{"is given twice", "duplicate-field"},
	{"already exists in", "statement-exists"},
	{"overrides", "override-nothing"},
	{"unknown statement", "unknown-statement"},
	{"unknown lens", "unknown-lens"},
	{"unknown inject", "unknown-inject"},
	{"unknown question", "unknown-question"},
	{"has no option", "unknown-option"},
	{"no option", "unknown-option"},
	{"no rubric item", "unknown-option"},
	{"unknown role", "unknown-role"},
	{"unknown ending", "unknown-ending"},
	{"unknown rule", "unknown-rule"},
	{"unknown name", "unknown-name"},
	{"unknown state variable", "unknown-name"},
	{"rounds", "lossy-assignment"},
	{"does not answer", "implicit-answer"},
	{"kebab-case", "id-syntax"},
	{"names use letters", "id-syntax"},
	{"name is reserved", "id-syntax"},
	{"used twice", "duplicate-id"},
	{"defined twice", "duplicate-id"},
	{"is also used by", "duplicate-id"},
	{"expected ", "wrong-type"},
	{"must be a whole number", "wrong-type"},
	{"must be a number", "wrong-type"},
	{"must be true or false", "wrong-type"},
	{"test ", "test"},
	{"is required", "missing-field"},
	{"has no ", "missing-field"},
	{"needs ", "missing-field"},
	{"no injects", "missing-field"},
	{"the file is empty", "file"},
	{"file is larger", "file"},
	{"no such file", "file"},
}

// codeFor returns the code of a diagnostic message format.
func codeFor(format string) string {
	f := strings.ToLower(format)
	for _, r := range codeRules {
		if strings.Contains(f, r.words) {
			return r.code
		}
	}
	return "invalid-value"
}

// Explain returns the documentation of a code, and whether the code exists.
func Explain(code string) (CodeInfo, bool) {
	for _, c := range Codes {
		if c.Code == code {
			return c, true
		}
	}
	return CodeInfo{}, false
}

// CodesDoc renders the documentation of every code as Markdown: docs/DIAGNOSTICS.md.
func CodesDoc() string {
	var b strings.Builder
	b.WriteString("# Diagnostics\n\n")
	b.WriteString("Every message of `paraat check` ends with a stable code in brackets, e.g.\n")
	b.WriteString("`voorbeeld.yaml:12:9: unknown field \"promt\" (did you mean \"prompt\"?) [unknown-field]`.\n")
	b.WriteString("`paraat explain CODE` prints the explanation below. Warnings are marked `warning:`;\n")
	b.WriteString("`paraat check --strict` treats them as errors. This file is generated from the table in\n")
	b.WriteString("engine/codes.go (`go test ./engine -run CodesDoc -update`).\n")
	for _, c := range Codes {
		fmt.Fprintf(&b, "\n## %s\n\n**%s.** %s\n", c.Code, c.Title, c.Explain)
	}
	return b.String()
}

// CodeList returns every code, sorted.
func CodeList() []string {
	out := make([]string, len(Codes))
	for i, c := range Codes {
		out[i] = c.Code
	}
	sort.Strings(out)
	return out
}
