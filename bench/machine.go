package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
)

// Machine describes where a benchmark ran.
type Machine struct {
	CPU       string // model name from /proc/cpuinfo ("unknown" elsewhere)
	Cores     int    // logical CPUs usable by the process
	GoVersion string
	OS, Arch  string
	Load      string // 1-, 5- and 15-minute load averages at the start, if known
}

// ReadMachine describes this machine.
func ReadMachine() Machine {
	m := Machine{CPU: "unknown", Cores: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	return m
}

// String is the machine in one line.
func (m Machine) String() string {
	s := fmt.Sprintf("%s, %d cores, %s %s/%s", m.CPU, m.Cores, m.GoVersion, m.OS, m.Arch)
	if m.Load != "" {
		s += ", load " + m.Load
	}
	return s
}
