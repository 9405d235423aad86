// Package recordbench measures the record of activities on SQLite: the cost of one append
// committed alone (the inbox's added work per activity when no other write shares its commit),
// the bytes each activity recorded takes on disk, and the speed of exporting and verifying a
// record of a million entries.
//
// Run it with
//
//	go test -run '^$' -bench Append -benchtime 20000x ./internal/testbed/recordbench
//	go test -run '^$' -bench ExportVerify -benchtime 1x -timeout 60m ./internal/testbed/recordbench -records 1000000
package recordbench
