package ops

// renames are the library's Go metrics whose names promtool flags: a
// counter needs _total, and only histograms and summaries end in _count.
var renames = map[string]string{
	"go_cgo_calls_count": "go_cgo_calls_total",
	"go_gc_forced_count": "go_gc_forced_total",
	"go_cpu_count":       "go_cpus",
}

func renamed(name string) string {
	if n, ok := renames[name]; ok {
		return n
	}
	return name
}

// retyped are the library's process metrics typed gauge that only grow.
var retyped = map[string]string{
	"process_io_read_bytes_total":            "counter",
	"process_io_written_bytes_total":         "counter",
	"process_io_read_syscalls_total":         "counter",
	"process_io_write_syscalls_total":        "counter",
	"process_io_storage_read_bytes_total":    "counter",
	"process_io_storage_written_bytes_total": "counter",
}

// RuntimeHelp is the help text of the Go and process metrics the relay
// exports; the library's others (go_info_ext) are dropped.
var RuntimeHelp = map[string]string{
	"go_sched_latencies_seconds":          "Time goroutines spent runnable before running.",
	"go_mutex_wait_seconds_total":         "Time goroutines spent blocked on a sync.Mutex or sync.RWMutex.",
	"go_gc_mark_assist_cpu_seconds_total": "CPU time goroutines spent helping the garbage collector mark.",
	"go_gc_cpu_seconds_total":             "CPU time spent in the garbage collector.",
	"go_gc_pauses_seconds":                "Stop-the-world pauses of the garbage collector.",
	"go_scavenge_cpu_seconds_total":       "CPU time spent returning unused memory to the OS.",
	"go_memlimit_bytes":                   "The Go runtime's soft memory limit (GOMEMLIMIT).",
	"go_memstats_alloc_bytes":             "Bytes of heap objects allocated and not yet freed.",
	"go_memstats_alloc_bytes_total":       "Bytes allocated for heap objects since the start.",
	"go_memstats_buck_hash_sys_bytes":     "Bytes of memory in the profiling bucket hash tables.",
	"go_memstats_frees_total":             "Heap objects freed since the start.",
	"go_memstats_gc_cpu_fraction":         "Fraction of the available CPU time used by the garbage collector since the start.",
	"go_memstats_gc_sys_bytes":            "Bytes of memory in garbage collection metadata.",
	"go_memstats_heap_alloc_bytes":        "Bytes of allocated heap objects.",
	"go_memstats_heap_idle_bytes":         "Bytes in idle (unused) heap spans.",
	"go_memstats_heap_inuse_bytes":        "Bytes in in-use heap spans.",
	"go_memstats_heap_objects":            "Number of allocated heap objects.",
	"go_memstats_heap_released_bytes":     "Bytes of physical memory returned to the OS.",
	"go_memstats_heap_sys_bytes":          "Bytes of heap memory obtained from the OS.",
	"go_memstats_last_gc_time_seconds":    "Unix time of the end of the last garbage collection.",
	"go_memstats_lookups_total":           "Pointer lookups performed by the runtime.",
	"go_memstats_mallocs_total":           "Heap objects allocated since the start.",
	"go_memstats_mcache_inuse_bytes":      "Bytes of allocated mcache structures.",
	"go_memstats_mcache_sys_bytes":        "Bytes of memory obtained from the OS for mcache structures.",
	"go_memstats_mspan_inuse_bytes":       "Bytes of allocated mspan structures.",
	"go_memstats_mspan_sys_bytes":         "Bytes of memory obtained from the OS for mspan structures.",
	"go_memstats_next_gc_bytes":           "Heap size at which the next garbage collection starts.",
	"go_memstats_other_sys_bytes":         "Bytes of memory in other runtime allocations.",
	"go_memstats_stack_inuse_bytes":       "Bytes in stack spans.",
	"go_memstats_stack_sys_bytes":         "Bytes of stack memory obtained from the OS.",
	"go_memstats_sys_bytes":               "Total bytes of memory obtained from the OS.",
	"go_cgo_calls_total":                  "Calls from Go to C since the start.",
	"go_cpus":                             "Logical CPUs usable by the process.",
	"go_gc_duration_seconds":              "Stop-the-world pause durations of the garbage collector.",
	"go_gc_forced_total":                  "Garbage collections forced by the application.",
	"go_gomaxprocs":                       "The GOMAXPROCS setting.",
	"go_goroutines":                       "Number of goroutines.",
	"go_threads":                          "Number of OS threads created.",
	"go_info":                             "The Go version the relay was built with, in the label.",

	"process_cpu_seconds_system_total":              "CPU time spent in the kernel.",
	"process_cpu_seconds_total":                     "CPU time spent, user and kernel.",
	"process_cpu_seconds_user_total":                "CPU time spent in user space.",
	"process_major_pagefaults_total":                "Page faults that needed a disk read.",
	"process_minor_pagefaults_total":                "Page faults served without a disk read.",
	"process_num_threads":                           "Number of OS threads of the process.",
	"process_resident_memory_bytes":                 "Resident memory size.",
	"process_start_time_seconds":                    "Unix time the process started.",
	"process_virtual_memory_bytes":                  "Virtual memory size.",
	"process_virtual_memory_peak_bytes":             "Peak virtual memory size.",
	"process_resident_memory_peak_bytes":            "Peak resident memory size.",
	"process_resident_memory_anon_bytes":            "Resident anonymous memory.",
	"process_resident_memory_file_bytes":            "Resident memory mapped from files.",
	"process_resident_memory_shared_bytes":          "Resident shared memory.",
	"process_io_read_bytes_total":                   "Bytes read, from storage or the page cache.",
	"process_io_written_bytes_total":                "Bytes written, to storage or the page cache.",
	"process_io_read_syscalls_total":                "Read system calls.",
	"process_io_write_syscalls_total":               "Write system calls.",
	"process_io_storage_read_bytes_total":           "Bytes read from storage.",
	"process_io_storage_written_bytes_total":        "Bytes written to storage.",
	"process_open_fds":                              "Open file descriptors.",
	"process_max_fds":                               "The limit of open file descriptors.",
	"process_pressure_cpu_waiting_seconds_total":    "Time some runnable tasks of the process's cgroup waited for a CPU.",
	"process_pressure_cpu_stalled_seconds_total":    "Time all runnable tasks of the process's cgroup waited for a CPU.",
	"process_pressure_io_waiting_seconds_total":     "Time some tasks of the process's cgroup waited for I/O.",
	"process_pressure_io_stalled_seconds_total":     "Time all tasks of the process's cgroup waited for I/O.",
	"process_pressure_memory_waiting_seconds_total": "Time some tasks of the process's cgroup waited for memory.",
	"process_pressure_memory_stalled_seconds_total": "Time all tasks of the process's cgroup waited for memory.",
	"process_cgroup_cpu_throttled_seconds_total":    "Time the process's cgroup was throttled by its CPU limit.",
}
