package main

import "testing"

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in, lang string
		want     float64
		ok       bool
	}{
		{"8.000", "nl", 8000, true},
		{"8.000", "en", 8, true},
		{"8,000", "nl", 8, true},
		{"8,000", "en", 8000, true},
		{"2,8", "nl", 2.8, true},
		{"2,8", "en", 2.8, true},
		{"2.8", "nl", 2.8, true},
		{"2.8", "en", 2.8, true},
		{"1.234,5", "nl", 1234.5, true},
		{"1,234.5", "en", 1234.5, true},
		{"1,234.5", "nl", 1234.5, true},
		{"1.234.567", "nl", 1234567, true},
		{"1,234,567", "en", 1234567, true},
		{"8 000", "nl", 8000, true},
		{"-3,5", "nl", -3.5, true},
		{"3.5%", "en", 0, false},
		{"1.23.4", "nl", 0, false},
		{"12,34,567", "en", 0, false},
		{"1.234,567.8", "nl", 0, false},
		{"1.2345", "nl", 1.2345, true},
		{"", "nl", 0, false},
		{"twee", "nl", 0, false},
		{"2,", "nl", 0, false},
		{"--2", "en", 0, false},
	}
	for _, tt := range tests {
		got, err := parseNumber(tt.in, tt.lang)
		if (err == nil) != tt.ok || tt.ok && got != tt.want {
			t.Errorf("parseNumber(%q, %s) = %v, %v; want %v, ok %v", tt.in, tt.lang, got, err, tt.want, tt.ok)
		}
	}
}
