package summary

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/x-way/crawlerdetect"
)

func TestIsBot(t *testing.T) {
	tests := []struct {
		userAgent string // as logged
		want      bool
	}{
		{chrome, false},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", false},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", false},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", false},
		{googlebot, true},
		{"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", true},
		{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", true},
		{"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", true},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36", true},
		{"curl/8.5.0", true},
		{"python-requests/2.31.0", true},
		{"Go-http-client/1.1", true},
		{"ELB-HealthChecker/2.0", true},
		{`Mozilla/5.0 (compatible; \x22quoted\x22 bot/2.1)`, true},
		{"", true}, // no user agent: every browser sends one
	}
	for _, tt := range tests {
		t.Run(tt.userAgent, func(t *testing.T) {
			if got := IsBot([]byte(tt.userAgent)); got != tt.want {
				t.Errorf("IsBot(%q) = %v, want %v", tt.userAgent, got, tt.want)
			}
		})
	}
}

// countingDetector counts the user agents it is asked about.
type countingDetector struct {
	mu    sync.Mutex
	asked []string
}

func (d *countingDetector) detect(ua string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asked = append(d.asked, ua)
	return strings.Contains(ua, "bot")
}

func TestBotCacheAsksOncePerUserAgent(t *testing.T) {
	d := &countingDetector{}
	c := newBotCache(d.detect)
	for range 3 {
		for _, ua := range []string{`a \x22bot\x22`, "browser", `a \x22bot\x22`} {
			if got, want := c.isBot([]byte(ua)), strings.Contains(ua, "bot"); got != want {
				t.Errorf("isBot(%q) = %v, want %v", ua, got, want)
			}
		}
	}
	// Remembered as logged, detected decoded.
	if want := []string{`a "bot"`, "browser"}; strings.Join(d.asked, "\n") != strings.Join(want, "\n") {
		t.Errorf("detector asked %q, want %q once each", d.asked, want)
	}
}

func TestBotCacheIsBounded(t *testing.T) {
	d := &countingDetector{}
	c := newBotCache(d.detect)
	ua := func(i int) []byte { return []byte("agent/" + strconv.Itoa(i)) }
	for i := range maxBotAnswers + 10 {
		c.isBot(ua(i))
		if len(c.answers) > maxBotAnswers {
			t.Fatalf("%d answers remembered, at most %d", len(c.answers), maxBotAnswers)
		}
	}
	if len(c.answers) == 0 || len(c.answers) > 10 {
		t.Errorf("%d answers after passing the bound by 10, want the 10 learned since it was cleared", len(c.answers))
	}

	big := []byte(strings.Repeat("z", 1<<20))
	for i := range 20 {
		big[0] = byte('a' + i)
		c.isBot(big)
		size := 0
		for ua := range c.answers {
			size += len(ua)
		}
		if size > maxBotUserAgent || size != c.size {
			t.Fatalf("%d bytes of user agents remembered (%d counted), at most %d", size, c.size, maxBotUserAgent)
		}
	}
}

func TestBotCacheConcurrently(t *testing.T) {
	c := newBotCache(crawlerdetect.IsCrawler)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				if c.isBot([]byte(chrome)) || !c.isBot([]byte(googlebot)) {
					t.Error("wrong answer")
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkIsBot compares the remembered answer with asking the list.
func BenchmarkIsBot(b *testing.B) {
	ua := []byte(chrome)
	b.Run("remembered", func(b *testing.B) {
		IsBot(ua)
		b.ReportAllocs()
		for b.Loop() {
			IsBot(ua)
		}
	})
	b.Run("crawlerdetect", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			crawlerdetect.IsCrawler(chrome)
		}
	})
}
