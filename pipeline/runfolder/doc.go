// Package runfolder owns the on-disk format of a run folder that more than one package reads:
// the names of run folders, the folder lock and the provenance record of summary.json and
// checkpoint.json. It is a leaf package without cgo, so that pipeline writes through it and
// report and sweep read through it on any machine.
package runfolder
