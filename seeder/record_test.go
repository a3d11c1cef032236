package seeder

import (
	"math"
	"testing"
	"time"
)

// attemptSeq is a run of attempts with the same outcome and spacing.
type attemptSeq struct {
	ok    bool
	age   time.Duration
	times int
}

// TestReliabilityVectors replays attempt histories and compares every
// statistic with values computed outside Go from the reference's
// formulas (PeerStat.update, PeerReliability.is_reliable, get_ban_time,
// get_ignore_time).
func TestReliabilityVectors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		seq      []attemptSeq
		stats    [numWindows]Stat // {Weight, Count, Reliability}
		reliable bool
		ignore   time.Duration // after the last attempt
		ban      time.Duration
	}{
		{
			name: "first attempt succeeds",
			seq:  []attemptSeq{{true, firstAge, 1}},
			stats: [numWindows]Stat{
				{0.1296752741666095, 1.0, 0.1296752741666095},
				{0.034126322758950334, 1.0, 0.034126322758950334},
				{0.011507352141687077, 1.0, 0.011507352141687077},
				{0.0016520729759895714, 1.0, 0.0016520729759895714},
				{0.00038572805693293244, 1.0, 0.00038572805693293244},
			},
			reliable: true, // young: 1 try, 1 success
		},
		{
			name: "one success in three tries",
			seq:  []attemptSeq{{true, firstAge, 1}, {false, 1000 * time.Second, 2}},
			stats: [numWindows]Stat{
				{0.34075936979955646, 2.6277898542303566, 0.09822449819652268},
				{0.09892489427870954, 2.898785637628197, 0.03183685466585688},
				{0.034126322758950334, 2.9656103627282517, 0.011244037628888972},
				{0.004948035401692086, 2.995046510417149, 0.0016466187948308928},
				{0.0011567378697879827, 2.998842964615335, 0.00038543054205610825},
			},
		},
		{
			name: "reachable every 20 minutes",
			seq:  []attemptSeq{{true, 20 * time.Minute, 12}},
			stats: [numWindows]Stat{
				{0.8646647167633871, 5.632324334984161, 0.8646647167633872},
				{0.3934693402873668, 9.641365010497596, 0.39346934028736674},
				{0.15351827510938543, 11.130252628048016, 0.15351827510938554},
				{0.02352831334775707, 11.870037974206484, 0.023528313347757138},
				{0.005540151995103049, 11.969498599161001, 0.005540151995103064},
			},
			reliable: true, // 2h: reliability 0.865 > 0.85, count 5.6 > 2
		},
		{
			name: "dead, tried hourly 40 times",
			seq:  []attemptSeq{{false, time.Hour, 40}},
			stats: [numWindows]Stat{
				{0.9999999979388463, 2.5414940772983887, 0},
				{0.9932620530009144, 8.453071236832763, 0},
				{0.811124397162438, 19.875364053146733, 0},
				{0.2118723722546898, 35.70059982027576, 0},
				{0.05404053109323448, 38.936208907366385, 0},
			},
			ignore: 2 * time.Hour, // 8h score 0.0067 < 0.08
		},
		{
			name: "dead, tried every 1000 s 400 times",
			seq:  []attemptSeq{{false, 1000 * time.Second, 400}},
			stats: [numWindows]Stat{
				{0.999999999999999, 7.711570354693668, 0},
				{0.9999990707508006, 29.30286623068785, 0},
				{0.9902416273547832, 86.05295250916035, 0},
				{0.48385918909413717, 292.88003382799224, 0},
				{0.14300310856470266, 370.7355635516228, 0},
			},
			ignore: 8 * time.Hour, // 1d score 0.0098 < 0.12
			ban:    day,           // 1d score < 0.05, count 86 > 8
		},
		{
			name: "dead, tried daily 60 times",
			seq:  []attemptSeq{{false, day, 60}},
			stats: [numWindows]Stat{
				{1.0, 1.000006144250105, 0},
				{0.9999999999999999, 1.052395696491256, 0},
				{1.0, 1.5819767068693262, 0},
				{0.9998105581747674, 7.5104776464502265, 0},
				{0.8646647167633874, 26.3746756632413, 0},
			},
			ignore: 10 * day, // 1m score 0.135 < 0.20, count > 2
		},
		{
			name: "two in three reachable, every 30 minutes",
			seq:  flaky(60),
			stats: [numWindows]Stat{
				{0.9999996940976795, 4.520810281261021, 0.7457245592905913},
				{0.9764822541439908, 16.117042707370608, 0.6711066130790801},
				{0.7134952031398109, 34.605756050270166, 0.48060073577440865},
				{0.1635356927070144, 55.02980115535281, 0.10918595221396848},
				{0.04081054289086006, 58.78758939600768, 0.02721647438468661},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r Reliability
			now := time.Unix(1_700_000_000, 0)
			for _, s := range tc.seq {
				for range s.times {
					now = now.Add(s.age)
					r.Update(s.ok, s.age, now)
				}
			}
			for w := range numWindows {
				got, want := r.Stats[w], tc.stats[w]
				if !near(got.Weight, want.Weight) || !near(got.Count, want.Count) || !near(got.Reliability, want.Reliability) {
					t.Errorf("%v: got %+v, want %+v", w, got, want)
				}
			}
			if r.Reliable() != tc.reliable {
				t.Errorf("Reliable() = %v, want %v", r.Reliable(), tc.reliable)
			}
			if got := r.IgnoreTime(); got != tc.ignore {
				t.Errorf("IgnoreTime() = %v, want %v", got, tc.ignore)
			}
			if got := r.BanTime(); got != tc.ban {
				t.Errorf("BanTime() = %v, want %v", got, tc.ban)
			}
			wantTill := func(d time.Duration) time.Time {
				if d == 0 {
					return time.Time{}
				}
				return now.Add(d)
			}
			if !r.IgnoreTill.Equal(wantTill(tc.ignore)) || !r.BanTill.Equal(wantTill(tc.ban)) {
				t.Errorf("IgnoreTill %v, BanTill %v; want %v, %v", r.IgnoreTill, r.BanTill, wantTill(tc.ignore), wantTill(tc.ban))
			}
		})
	}
}

// flaky is n attempts 30 minutes apart, every third one failing.
func flaky(n int) []attemptSeq {
	var out []attemptSeq
	for i := range n {
		out = append(out, attemptSeq{i%3 != 0, 30 * time.Minute, 1})
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

// TestYoungPeers checks the rule for peers with one to three tries.
func TestYoungPeers(t *testing.T) {
	for _, tc := range []struct {
		tries, successes uint32
		want             bool
	}{
		{0, 0, false}, {1, 0, false}, {1, 1, true}, {2, 1, true}, {2, 0, false},
		{3, 1, false}, {3, 2, true}, {4, 4, false}, // four tries: only the windows count
	} {
		r := Reliability{Tries: tc.tries, Successes: tc.successes}
		if got := r.Reliable(); got != tc.want {
			t.Errorf("%d tries, %d successes: Reliable() = %v, want %v", tc.tries, tc.successes, got, tc.want)
		}
	}
}

// TestPenaltiesOnlyExtend checks that a shorter ignore time never pulls
// IgnoreTill back.
func TestPenaltiesOnlyExtend(t *testing.T) {
	var r Reliability
	now := time.Unix(1_700_000_000, 0)
	for range 60 {
		now = now.Add(day)
		r.Update(false, day, now)
	}
	till := r.IgnoreTill
	if !till.Equal(now.Add(10 * day)) {
		t.Fatalf("IgnoreTill %v, want 10 days after the last try", till)
	}
	// A burst of quick failures leaves the 1m score a little higher.
	r.Update(false, time.Second, now.Add(time.Second))
	if r.IgnoreTill.Before(till) {
		t.Fatalf("IgnoreTill moved back from %v to %v", till, r.IgnoreTill)
	}
}

func TestRecordAttempt(t *testing.T) {
	now := time.Unix(1_700_000_000, 0).UTC()
	var r Record
	r.attempt(true, now)
	if r.Reliability.Stats[Window2h].Reliability != 1-math.Exp(-1000.0/7200) {
		t.Errorf("first attempt not aged 1000 s: %+v", r.Reliability.Stats[Window2h])
	}
	if !r.LastTry.Equal(now) || !r.LastSuccess.Equal(now) || !r.LastSeen.Equal(now) {
		t.Errorf("after a success: %+v", r)
	}
	later := now.Add(30 * time.Minute)
	r.attempt(false, later)
	if !r.LastTry.Equal(later) || !r.LastSuccess.Equal(now) || !r.LastSeen.Equal(now) {
		t.Errorf("after a failure: %+v", r)
	}
	f := math.Exp(-1800.0 / 7200)
	if got, want := r.Reliability.Stats[Window2h].Count, 1*f+1; !near(got, want) {
		t.Errorf("2h count after 30 min: %v, want %v", got, want)
	}
	if r.Reliability.Tries != 2 || r.Reliability.Successes != 1 {
		t.Errorf("tries %d successes %d", r.Reliability.Tries, r.Reliability.Successes)
	}
}

// TestReliableGap pins a consequence of the reference's formulas that the
// package documentation states: a peer reachable at every crawl, 1000 s
// apart, is reliable for its first three tries, not from the 4th to the
// 13th, and again from the 14th.
func TestReliableGap(t *testing.T) {
	var r Reliability
	now := time.Unix(1_700_000_000, 0)
	for try := 1; try <= 20; try++ {
		now = now.Add(firstAge)
		r.Update(true, firstAge, now)
		if want := try <= 3 || try >= 14; r.Reliable() != want {
			t.Errorf("try %d: Reliable() = %v, want %v", try, r.Reliable(), want)
		}
	}
}
