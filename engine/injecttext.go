package engine

import "go.yaml.in/yaml/v3"

// RoleText is what the participants of some roles read at an inject instead of its text: the
// same news as their own ministry or service would brief it.
type RoleText struct {
	Roles []Ref `yaml:"roles"`
	Text  Text  `yaml:"text"`
}

// TextFor returns the inject's text for a participant with the given role: the first role
// text that names the role, or else the inject's text.
func (in *Inject) TextFor(role string) Text {
	for _, rt := range in.RoleText {
		for _, r := range rt.Roles {
			if r.Value == role {
				return rt.Text
			}
		}
	}
	return in.Text
}

// ClockIn returns the inject's clock label in lang ("nl" or "en").
func (in *Inject) ClockIn(lang string) string {
	if in.clockText.Empty() {
		return in.Clock
	}
	return in.clockText.In(lang)
}

// injectTexts resolves an inject's clock label and checks its role texts.
func (v *validator) injectTexts(in *Inject) {
	n := &in.ClockSrc
	what := "clock of inject " + in.ID.Value
	switch {
	case n.Kind == 0:
	case n.Kind == yaml.ScalarNode && n.Tag != "!!null":
		in.Clock = n.Value
	case n.Kind == yaml.MappingNode:
		before := v.diags.Errors()
		c := &checker{file: v.file, diags: v.diags}
		c.checkText(n)
		if v.diags.Errors() > before {
			return
		}
		var t Text
		n.Decode(&t)
		checkText(v.diags, v.file, t, what, false)
		in.clockText, in.Clock = t, t.In("nl")
	default:
		v.errorf(posOf(n), "expected a clock label such as \"T+0:00\" or a text {nl: ..., en: ...}, found %s", kindName(n))
	}
	for _, rt := range in.RoleText {
		if len(rt.Roles) == 0 {
			v.errorf(rt.Text.Pos, "a role_text of inject %s names no roles", in.ID.Value)
		}
		for _, r := range rt.Roles {
			if v.s.Role(r.Value) == nil {
				v.errorf(r.Pos, "unknown role %q%s", r.Value, didYouMean(r.Value, v.s.roleIDs()))
			}
		}
		checkText(v.diags, v.file, rt.Text, "role text of inject "+in.ID.Value, true)
	}
}

// openBranches warns about injects whose every `next` entry has a condition: when none holds,
// the playthrough ends there, which is easy to miss. Without an unconditional ending the
// dead-end warning already says so.
func (v *validator) openBranches(reach map[*Inject]bool) {
	guaranteed := false
	for _, e := range v.s.Endings {
		guaranteed = guaranteed || e.When.Text == ""
	}
	for _, in := range v.s.Injects {
		if !guaranteed {
			break
		}
		if !reach[in] || len(in.Next) == 0 || in.Next[len(in.Next)-1].When.Text == "" {
			continue
		}
		v.warnf(in.Next[len(in.Next)-1].When.Pos, "every `next` entry of inject %s has a condition: when none holds, the playthrough ends here (add a last entry without `when` if it should go on)", in.ID.Value)
	}
}
