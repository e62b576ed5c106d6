package views

// BackupsView is the running server's scheduled backups on the admin page.
type BackupsView struct {
	Dir, Every string
	Keep, Kept int
	Last       *BackupView // nil: none taken yet
	Next       string      // when the next is due
	// Failing is set while the newest try failed: Error says why, at ErrorAt.
	Failing        bool
	Error, ErrorAt string
}

// BackupView is one backup in the folder.
type BackupView struct {
	Time, Size, Seq, Path string
}
