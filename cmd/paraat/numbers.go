package main

import (
	"errors"
	"strconv"
	"strings"
)

// parseNumber reads a number as a participant types it in lang. Dutch writes 8.000,5 and
// English 8,000.5. What only one reading makes sense of is read that way in both languages
// (2,8 and 2.8 are both 2.8: a group of thousands has three digits); a single separator before
// exactly three digits is read as the language writes it, so 8.000 is eight thousand in Dutch
// and eight in English. What fits neither is refused with the way to write it.
func parseNumber(s, lang string) (float64, error) {
	s = strings.TrimSpace(s)
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "'", "", "−", "-").Replace(s)
	if s == "" {
		return 0, errNumber(lang)
	}
	sign := ""
	switch s[0] {
	case '-':
		sign, s = "-", s[1:]
	case '+':
		s = s[1:]
	}
	dots, commas := strings.Count(s, "."), strings.Count(s, ",")
	decimal := byte(0) // the decimal separator, 0 for none
	switch {
	case dots > 0 && commas > 0:
		decimal = s[max(strings.LastIndex(s, "."), strings.LastIndex(s, ","))]
	case dots+commas == 1:
		sep := byte('.')
		if commas == 1 {
			sep = ','
		}
		after := len(s) - strings.IndexByte(s, sep) - 1
		switch {
		case after != 3:
			decimal = sep
		case lang == "nl" && sep == ',', lang != "nl" && sep == '.':
			decimal = sep
		}
	}
	intPart, frac := s, ""
	if decimal != 0 {
		i := strings.LastIndexByte(s, decimal)
		intPart, frac = s[:i], s[i+1:]
		if strings.ContainsAny(frac, ".,") || frac == "" {
			return 0, errNumber(lang)
		}
	}
	if strings.ContainsAny(intPart, ".,") {
		groups := strings.FieldsFunc(intPart, func(r rune) bool { return r == '.' || r == ',' })
		if strings.Count(intPart, ".")*strings.Count(intPart, ",") != 0 || len(groups) != strings.Count(intPart, ".")+strings.Count(intPart, ",")+1 {
			return 0, errNumber(lang)
		}
		for i, g := range groups {
			if len(g) > 3 || i > 0 && len(g) != 3 || g == "" {
				return 0, errNumber(lang)
			}
		}
		intPart = strings.Join(groups, "")
	}
	for _, part := range []string{intPart, frac} {
		if strings.Trim(part, "0123456789") != "" {
			return 0, errNumber(lang)
		}
	}
	if intPart == "" {
		intPart = "0"
	}
	f, err := strconv.ParseFloat(sign+intPart+"."+frac+"0", 64)
	if err != nil {
		return 0, errNumber(lang)
	}
	return f, nil
}

func errNumber(lang string) error {
	if lang == "en" {
		return errors.New("Write a number such as 2.8 or 8,000 (eight thousand)")
	}
	return errors.New("Schrijf een getal zoals 2,8 of 8.000 (achtduizend)")
}
