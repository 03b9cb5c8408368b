package query

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Size units. KB, MB, GB and TB are decimal (powers of 1000), as storage
// makers and most file managers count; KiB, MiB, GiB and TiB are binary.
var sizeUnits = map[string]int64{
	"":    1,
	"b":   1,
	"kb":  1000,
	"mb":  1000 * 1000,
	"gb":  1000 * 1000 * 1000,
	"tb":  1000 * 1000 * 1000 * 1000,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
	"tib": 1 << 40,
}

// interval is the inclusive extent [lo, hi] a literal value denotes: a
// size is one point; a date covers its whole year, month, day, minute or
// second.
type interval struct {
	lo, hi   int64
	relative bool // a relative date such as -7d
}

// parseSize parses the value of size:.
func parseSize(s string, pos int) (Node, error) {
	return parseRange(FieldSize, s, pos, func(v string) (interval, error) {
		n, err := sizeValue(v)
		if err != nil {
			return interval{}, syntaxErr(pos, "size:%s: %s", s, err.Error())
		}
		return interval{lo: n, hi: n}, nil
	})
}

// parseModified parses the value of modified:.
func parseModified(s string, pos int, now time.Time) (Node, error) {
	return parseRange(FieldModified, s, pos, func(v string) (interval, error) {
		iv, err := dateValue(v, now)
		if err != nil {
			return interval{}, syntaxErr(pos, "modified:%s: %s", s, err.Error())
		}
		return iv, nil
	})
}

type valueError string

func (e valueError) Error() string { return string(e) }

// parseRange parses ">v", ">=v", "<v", "<=v", "a..b", "a..", "..b" or "v".
func parseRange(field, s string, pos int, lit func(string) (interval, error)) (Node, error) {
	r := &Range{Field: field}
	switch {
	case strings.HasPrefix(s, ">="), strings.HasPrefix(s, "<="),
		strings.HasPrefix(s, ">"), strings.HasPrefix(s, "<"):
		op := s[:1]
		if len(s) > 1 && s[1] == '=' {
			op = s[:2]
		}
		iv, err := lit(s[len(op):])
		if err != nil {
			return nil, err
		}
		switch op {
		case ">":
			if iv.hi == math.MaxInt64 {
				return nil, syntaxErr(pos, "%s:%s matches nothing", field, s)
			}
			r.Min, r.HasMin = iv.hi+1, true
		case ">=":
			r.Min, r.HasMin = iv.lo, true
		case "<":
			if iv.lo == math.MinInt64 {
				return nil, syntaxErr(pos, "%s:%s matches nothing", field, s)
			}
			r.Max, r.HasMax = iv.lo-1, true
		case "<=":
			r.Max, r.HasMax = iv.hi, true
		}
	case strings.Contains(s, ".."):
		a, b, _ := strings.Cut(s, "..")
		if a == "" && b == "" {
			return nil, syntaxErr(pos, "%s:.. needs at least one bound", field)
		}
		if a != "" {
			iv, err := lit(a)
			if err != nil {
				return nil, err
			}
			r.Min, r.HasMin = iv.lo, true
		}
		if b != "" {
			iv, err := lit(b)
			if err != nil {
				return nil, err
			}
			r.Max, r.HasMax = iv.hi, true
		}
	default:
		iv, err := lit(s)
		if err != nil {
			return nil, err
		}
		r.Min, r.HasMin = iv.lo, true
		if !iv.relative { // modified:-7d means "since 7 days ago"
			r.Max, r.HasMax = iv.hi, true
		}
	}
	if r.HasMin && r.HasMax && r.Min > r.Max {
		return nil, syntaxErr(pos, "%s:%s is an empty range", field, s)
	}
	if field == FieldSize && r.HasMax && r.Max < 0 {
		return nil, syntaxErr(pos, "%s:%s matches nothing", field, s)
	}
	return r, nil
}

// sizeValue parses "1500", "1.5MB", "10KiB".
func sizeValue(v string) (int64, error) {
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.') {
		i++
	}
	num, unit := v[:i], strings.ToLower(v[i:])
	mult, ok := sizeUnits[unit]
	if !ok {
		return 0, valueError("unknown size unit " + strconv.Quote(v[i:]) + "; use B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)")
	}
	if num == "" || num == "." || strings.Count(num, ".") > 1 {
		return 0, valueError("expected a number such as 10, 1.5MB or 200KiB")
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n > math.MaxInt64/mult {
			return 0, valueError("the size is too large")
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, valueError("expected a number such as 10, 1.5MB or 200KiB")
	}
	f = math.Round(f * float64(mult))
	if f >= math.MaxInt64 {
		return 0, valueError("the size is too large")
	}
	return int64(f), nil
}

// Date layouts and the length of the interval each denotes.
var dateLayouts = []struct {
	layout string
	unit   func(time.Time) time.Time // start of the next interval
}{
	{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
	{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
	{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
	{"2006-01-02T15:04", func(t time.Time) time.Time { return t.Add(time.Minute) }},
	{"2006-01-02T15:04Z07:00", func(t time.Time) time.Time { return t.Add(time.Minute) }},
	{"2006-01-02T15:04:05", func(t time.Time) time.Time { return t.Add(time.Second) }},
	{time.RFC3339, func(t time.Time) time.Time { return t.Add(time.Second) }},
}

// dateValue parses a date: an absolute date or time (UTC unless an offset
// is given), now, today, yesterday, or a relative -N{h,d,w,mo,y}.
func dateValue(v string, now time.Time) (interval, error) {
	now = now.UTC().Truncate(time.Second)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var lo, next time.Time
	relative := false
	switch lv := strings.ToLower(v); {
	case lv == "now":
		lo, next = now, now.Add(time.Second)
	case lv == "today":
		lo, next = day, day.AddDate(0, 0, 1)
	case lv == "yesterday":
		lo, next = day.AddDate(0, 0, -1), day
	case strings.HasPrefix(lv, "-"):
		t, err := relativeDate(lv[1:], now)
		if err != nil {
			return interval{}, err
		}
		lo, next, relative = t, t.Add(time.Second), true
	default:
		ok := false
		for _, l := range dateLayouts {
			t, err := time.Parse(l.layout, v)
			if err != nil {
				continue
			}
			t = t.UTC().Truncate(time.Second)
			lo, next, ok = t, l.unit(t), true
			break
		}
		if !ok {
			return interval{}, valueError("expected a date such as 2025, 2025-01, 2025-01-31, 2025-01-31T12:00:00Z, today or -7d")
		}
	}
	if lo.Year() < 1 || next.Year() > 9999 {
		return interval{}, valueError("the date is out of range")
	}
	return interval{lo: lo.Unix(), hi: next.Unix() - 1, relative: relative}, nil
}

// relativeDate parses "7d" and the like, counted back from now.
func relativeDate(v string, now time.Time) (time.Time, error) {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i == 0 || i > 6 {
		return time.Time{}, valueError("expected a relative date such as -24h, -7d, -2w, -3mo or -1y")
	}
	n, _ := strconv.Atoi(v[:i])
	switch v[i:] {
	case "h":
		return now.Add(-time.Duration(n) * time.Hour), nil
	case "d":
		return now.AddDate(0, 0, -n), nil
	case "w":
		return now.AddDate(0, 0, -7*n), nil
	case "mo":
		return now.AddDate(0, -n, 0), nil
	case "y":
		return now.AddDate(-n, 0, 0), nil
	}
	return time.Time{}, valueError("unknown unit " + strconv.Quote(v[i:]) + " in a relative date; use h, d, w, mo or y")
}
