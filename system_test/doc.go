// Package system runs the real distrisearch binary as several
// processes on 127.0.0.1 and checks what users rely on: a cluster forms,
// survives the loss of its leader, notices dead members and takes them back.
package system
