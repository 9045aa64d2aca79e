package e2e

import (
	"strings"
	"testing"
)

// qrGolden is the QR code of the link below (version 3, level M, mask 1), as the encoder
// made it and an independent decoder read it back; a change to the encoder that changes
// it must be checked against a decoder again.
var qrGolden = []string{
	"11111110100010111010001111111",
	"10000010011101101100101000001",
	"10111010100000100110001011101",
	"10111010001000101111001011101",
	"10111010001011110010101011101",
	"10000010101100000110001000001",
	"11111110101010101010101111111",
	"00000000000100100010000000000",
	"10100011001101100001000100101",
	"10101000100101101101001000011",
	"01101011011010010111100111101",
	"00001100000011010010001000000",
	"11010111101101010000011000001",
	"10101101010100010101011000111",
	"11101011110001110001111101001",
	"10101000011010100000000110000",
	"00101011010111110011011101001",
	"00100001101101101101001001111",
	"11001110110010010001100000001",
	"00111001000111001010001100000",
	"11000010110011001100111111010",
	"00000000100010010101100011101",
	"11111110110111110010101010001",
	"10000010001010101010100010000",
	"10111010000011101011111110001",
	"10111010000000101010100110001",
	"10111010101111111001000110111",
	"10000010011001100011100010000",
	"11111110100011110101101110001",
}

// TestQRCode checks the join link's QR code module by module, and that the lobby shows it.
func TestQRCode(t *testing.T) {
	e := newEnv(t)
	u := e.open("qr", "/#/")
	var got struct {
		Version, Mask int
		Rows          []string
	}
	u.eval(`import("/js/qr.js").then(m => { const q = m.qrMatrix("http://127.0.0.1:8080/join/K7PM-Q3XW");
		return {version: q.version, mask: q.mask, rows: q.modules.map(r => r.map(b => b ? "1" : "0").join(""))}; })`, &got)
	if got.Version != 3 || got.Mask != 1 || strings.Join(got.Rows, "\n") != strings.Join(qrGolden, "\n") {
		t.Errorf("QR code: version %d mask %d\n%s\nwant version 3 mask 1\n%s", got.Version, got.Mask,
			strings.Join(got.Rows, "\n"), strings.Join(qrGolden, "\n"))
	}
	var n int
	u.eval(`import("/js/qr.js").then(m => m.qrSVG("http://127.0.0.1:8080/join/K7PM-Q3XW").querySelector("path").getAttribute("d").split("M").length - 1)`, &n)
	ones := strings.Count(strings.Join(qrGolden, ""), "1")
	if n != ones {
		t.Errorf("the SVG draws %d dark modules, want %d", n, ones)
	}
}
