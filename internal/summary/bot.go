package summary

import (
	"sync"

	"github.com/x-way/crawlerdetect"

	"github.com/pmdp/pmdp/internal/accesslog"
)

// IsBot reports whether a user agent, as logged (ALB's \xHH escapes
// included), is a crawler's, a monitor's or a script's rather than a
// person's browser. It asks the crawler list of
// github.com/x-way/crawlerdetect, a Go port of the Crawler-Detect
// project's list, which is kept up to date as crawlers appear. A request
// without a user agent counts as a bot: every browser sends one.
//
// The list is one regular expression of some 1500 patterns that takes
// about 200 µs a user agent, while a log repeats a few user agents over
// and over; so answers are remembered, for every caller in the process (a
// Lambda container keeps them from one log to the next), in bounded memory.
// IsBot is safe for concurrent use.
func IsBot(userAgent []byte) bool {
	if len(userAgent) == 0 {
		return true
	}
	return bots.isBot(userAgent)
}

var bots = newBotCache(crawlerdetect.IsCrawler)

// Bounds of the remembered answers: when either would be passed, they are
// forgotten and learned again. A log of distinct user agents (a scan that
// makes each one up) thus costs time but not memory.
const (
	maxBotAnswers   = 1 << 15
	maxBotUserAgent = 8 << 20 // bytes of user agents
)

// botCache remembers the answers of detect by user agent as logged.
type botCache struct {
	detect func(userAgent string) bool

	mu      sync.Mutex
	answers map[string]bool
	size    int // bytes of the user agents in answers
}

func newBotCache(detect func(string) bool) *botCache {
	return &botCache{detect: detect, answers: make(map[string]bool)}
}

func (c *botCache) isBot(userAgent []byte) bool {
	c.mu.Lock()
	bot, ok := c.answers[string(userAgent)]
	c.mu.Unlock()
	if ok {
		return bot
	}
	// Detected outside the lock: other goroutines keep using what is
	// known meanwhile.
	var buf [512]byte
	bot = c.detect(string(accesslog.AppendUnescaped(buf[:0], userAgent)))
	c.mu.Lock()
	if len(c.answers) >= maxBotAnswers || c.size+len(userAgent) > maxBotUserAgent {
		clear(c.answers)
		c.size = 0
	}
	if _, ok := c.answers[string(userAgent)]; !ok {
		c.answers[string(userAgent)] = bot
		c.size += len(userAgent)
	}
	c.mu.Unlock()
	return bot
}
