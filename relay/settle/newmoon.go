package settle

import (
	"math"
	"time"
)

// The lunar calendar of Korea counts days in Korea Standard Time: a lunar
// month begins on the KST civil day of its new moon. Chinese tables (which
// the lunar library follows) count in UTC+8, so a new moon between 23:00
// and 24:00 China time starts the month a day later in Korea (Seollal
// 2027: new moon 2027-02-06 15:56 UTC, Sat in China, Sun 7 Feb in Korea).
// newMoonNear gives the instant of the new moon nearest to t, after Meeus,
// Astronomical Algorithms, 2nd ed., ch. 49 (error well under a minute for
// these years), so the month's first day can be taken in KST.

// deltaT is TT − UT for the 2020s and 2030s (about 69–72 s).
const deltaT = 70 * time.Second

// jdUnixEpoch is the Julian day of 1970-01-01T00:00Z.
const jdUnixEpoch = 2440587.5

func newMoonNear(t time.Time) time.Time {
	jd := jdUnixEpoch + float64(t.Unix())/86400
	k := math.Round((jd - 2451550.09766) / 29.530588861)
	jde := meeusNewMoon(k)
	sec := (jde - jdUnixEpoch) * 86400
	return time.Unix(int64(sec), 0).UTC().Add(-deltaT)
}

// meeusNewMoon returns the Julian ephemeris day of new moon number k
// (k = 0 at 2000-01-06).
func meeusNewMoon(k float64) float64 {
	rad := func(deg float64) float64 { return math.Mod(deg, 360) * math.Pi / 180 }
	T := k / 1236.85
	T2, T3, T4 := T*T, T*T*T, T*T*T*T
	jde := 2451550.09766 + 29.530588861*k + 0.00015437*T2 - 0.000000150*T3 + 0.00000000073*T4
	E := 1 - 0.002516*T - 0.0000074*T2
	M := rad(2.5534 + 29.10535670*k - 0.0000014*T2 - 0.00000011*T3)
	Mp := rad(201.5643 + 385.81693528*k + 0.0107582*T2 + 0.00001238*T3 - 0.000000058*T4)
	F := rad(160.7108 + 390.67050284*k - 0.0016118*T2 - 0.00000227*T3 + 0.000000011*T4)
	O := rad(124.7746 - 1.56375588*k + 0.0020672*T2 + 0.00000215*T3)
	s := math.Sin
	jde += -0.40720*s(Mp) + 0.17241*E*s(M) + 0.01608*s(2*Mp) + 0.01039*s(2*F) +
		0.00739*E*s(Mp-M) - 0.00514*E*s(Mp+M) + 0.00208*E*E*s(2*M) - 0.00111*s(Mp-2*F) -
		0.00057*s(Mp+2*F) + 0.00056*E*s(2*Mp+M) - 0.00042*s(3*Mp) + 0.00042*E*s(M+2*F) +
		0.00038*E*s(M-2*F) - 0.00024*E*s(2*Mp-M) - 0.00017*s(O) - 0.00007*s(Mp+2*M) +
		0.00004*s(2*Mp-2*F) + 0.00004*s(3*M) + 0.00003*s(Mp+M-2*F) + 0.00003*s(2*Mp+2*F) -
		0.00003*s(Mp+M+2*F) + 0.00003*s(Mp-M+2*F) - 0.00002*s(Mp-M-2*F) - 0.00002*s(3*Mp+M) +
		0.00002*s(4*Mp)
	planetary := [...][2]float64{
		{0.000325, 299.77 + 0.107408*k - 0.009173*T2},
		{0.000165, 251.88 + 0.016321*k},
		{0.000164, 251.83 + 26.651886*k},
		{0.000126, 349.42 + 36.412478*k},
		{0.000110, 84.66 + 18.206239*k},
		{0.000062, 141.74 + 53.303771*k},
		{0.000060, 207.14 + 2.453732*k},
		{0.000056, 154.84 + 7.306860*k},
		{0.000047, 34.52 + 27.261239*k},
		{0.000042, 207.19 + 0.121824*k},
		{0.000040, 291.34 + 1.844379*k},
		{0.000037, 161.72 + 24.198154*k},
		{0.000035, 239.56 + 25.513099*k},
		{0.000023, 331.55 + 3.592518*k},
	}
	for _, p := range planetary {
		jde += p[0] * s(rad(p[1]))
	}
	return jde
}
