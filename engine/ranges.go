package engine

import "go.yaml.in/yaml/v3"

// UnmarshalYAML decodes a score range of a test expectation. A bound left out is the end of
// the scale: `{min: 99}` is 99 to 100 percent, `{max: 20}` is 0 to 20.
func (r *Range) UnmarshalYAML(n *yaml.Node) error {
	type plain Range
	p := plain{Min: 0, Max: 100}
	if err := n.Decode(&p); err != nil {
		return err
	}
	*r = Range(p)
	return nil
}
