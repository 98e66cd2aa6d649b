package local

// Children returns the process IDs of the children p started; each leads
// a process group of its own.
func Children(p *Pipeline) []int {
	var pids []int
	for _, cmd := range p.procs {
		pids = append(pids, cmd.Process.Pid)
	}
	return pids
}
