package ops

import (
	"syscall"

	"github.com/VictoriaMetrics/metrics"
)

// DiskHelp is the help text of the data directory's gauges.
var DiskHelp = map[string]string{
	"relay_data_dir_free_bytes": "Bytes free for the relay on the file system of its data directory.",
	"relay_data_dir_size_bytes": "Size in bytes of the file system of the relay's data directory.",
}

// RegisterDataDir makes the gauges of dir's file system in set; a scrape
// reads them with statfs(2). A failing statfs reads as 0 free bytes, which
// the disk alert takes for a full disk: better a false alarm than none.
func RegisterDataDir(set *metrics.Set, dir string) {
	set.NewGauge(`relay_data_dir_free_bytes`, func() float64 { f, _ := DiskSpace(dir); return float64(f) })
	set.NewGauge(`relay_data_dir_size_bytes`, func() float64 { _, s := DiskSpace(dir); return float64(s) })
}

// DiskSpace is the bytes free for the relay and the size of dir's file
// system; 0, 0 when statfs fails.
func DiskSpace(dir string) (free, size uint64) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0
	}
	bs := uint64(st.Bsize)
	return st.Bavail * bs, st.Blocks * bs
}
