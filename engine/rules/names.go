package rules

// predicates are expr's collection functions, which stay available.
var predicates = []string{"all", "any", "none", "one", "map", "filter", "count", "sum", "find", "findIndex", "findLast", "findLastIndex", "groupBy", "sortBy", "reduce"}

// Names returns every name an expression compiled against the schema may use: variables,
// helpers and functions. It is what a misspelt name is compared with.
func (s *Schema) Names() []string {
	var out []string
	for _, v := range s.vars {
		out = append(out, v.Name)
	}
	for h := range helpers {
		out = append(out, h)
	}
	out = append(out, allowedBuiltins...)
	return append(out, predicates...)
}
