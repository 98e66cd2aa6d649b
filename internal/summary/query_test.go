package summary

import (
	"net/url"
	"strings"
	"testing"
)

func TestAppendQueryValue(t *testing.T) {
	tests := []struct{ name, query, param, want string }{
		{"first of several", "ev=a&ev=b", "ev", "a"},
		{"absent", "uid=1", "ev", ""},
		{"empty query", "", "ev", ""},
		{"plus is a space", "ev=sign+up", "ev", "sign up"},
		{"percent-decoded", "ev=caf%C3%A9", "ev", "café"},
		{"encoded ampersand", "ev=a%26b&x=1", "ev", "a&b"},
		{"encoded name", "e%76=1", "ev", "1"},
		{"name is not a prefix", "event=1&ev=2", "ev", "2"},
		{"no equals sign", "ev&ev=2", "ev", ""},
		{"equals in value", "ev=a=b", "ev", "a=b"},
		{"invalid escape kept", "ev=100%", "ev", "100%"},
		{"invalid hex kept", "ev=%zz", "ev", "%zz"},
		{"empty pairs", "&&ev=1&", "ev", "1"},
		{"empty name", "&=0", "", "0"},
		{"empty name, empty pairs only", "&&", "", ""},
		{"empty name, bare equals", "a=1&=&=2", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendQueryValue(nil, []byte(tt.query), tt.param)); got != tt.want {
				t.Errorf("appendQueryValue(%q, %q) = %q, want %q", tt.query, tt.param, got, tt.want)
			}
		})
	}
}

// FuzzQueryValue checks the query parser against net/url on every query
// net/url accepts whole.
func FuzzQueryValue(f *testing.F) {
	f.Add("ev=sign+up&uid=42", "ev")
	f.Add("e%76=caf%C3%A9&ev=2", "ev")
	f.Add("a=1&a=2&b=%41", "b")
	f.Fuzz(func(t *testing.T, query, name string) {
		got := string(appendQueryValue(nil, []byte(query), name))
		if strings.Contains(query, ";") {
			return
		}
		values, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		want := ""
		if v := values[name]; len(v) > 0 {
			want = v[0]
		}
		if got != want {
			t.Fatalf("appendQueryValue(%q, %q) = %q, net/url says %q", query, name, got, want)
		}
	})
}
