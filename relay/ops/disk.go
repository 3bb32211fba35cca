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
	stat := func() (free, size float64) {
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err != nil {
			return 0, 0
		}
		bs := float64(st.Bsize)
		return float64(st.Bavail) * bs, float64(st.Blocks) * bs
	}
	set.NewGauge(`relay_data_dir_free_bytes`, func() float64 { f, _ := stat(); return f })
	set.NewGauge(`relay_data_dir_size_bytes`, func() float64 { _, s := stat(); return s })
}
