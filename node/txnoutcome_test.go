package node

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/replica"
	"github.com/distrisearch/distrisearch/replica/quorum"
)

func TestTxnOutcomeErrors(t *testing.T) {
	other := errors.New("disk on fire")
	for _, c := range []struct {
		o         txnOutcome
		err       error
		code, msg string
	}{
		{atomicUploadOutcome, fmt.Errorf("x: %w", replica.ErrTxnOutcomeUnknown), "outcome_unknown",
			"the cluster did not confirm the atomic upload in time; within a minute either all of its files or none of them are visible"},
		{atomicUploadOutcome, fmt.Errorf("%w: %w", replica.ErrTxnAborted, replica.ErrQuorumUnavailable), "atomic_upload_aborted",
			"too few replicas could take part for consistency=strong, so the atomic upload was aborted and none of its files is visible; try again later or with a weaker consistency"},
		{folderOutcome, replica.ErrTxnAborted, "folder_operation_aborted", "the folder operation was aborted and no file was changed; try again"},
		{folderOutcome, replica.ErrClosed, "shutting_down", "the node cannot run a folder operation now"},
	} {
		err := c.o.error(c.err, quorum.Strong)
		if ds.CodeOf(err) != c.code || ds.MessageOf(err) != c.msg || !errors.Is(err, c.err) {
			t.Errorf("%v: %s %q", c.err, ds.CodeOf(err), ds.MessageOf(err))
		}
	}
	if err := folderOutcome.error(other, quorum.Quorum); err != other || strings.Contains(ds.CodeOf(err), "abort") {
		t.Errorf("an unrelated error became %v", err)
	}
}
