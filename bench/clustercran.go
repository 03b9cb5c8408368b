package bench

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/distrisearch/distrisearch/client"
	"github.com/distrisearch/distrisearch/index/eval"
)

// cranfieldAgreement indexes the Cranfield collection (as loaded and cut
// to o's limits) on one node and on
// a fresh cluster (its documents split in contiguous parts over the data
// nodes, as the corpus is) and scores the same queries through both:
// nDCG@10 of the product's default query and of the words joined with
// OR, and the agreement of their top-10 lists by document id. Ingest is
// not timed here.
func cranfieldAgreement(ctx context.Context, o ClusterOptions, cran *Cranfield, dir string, logf func(string, ...any)) (*CranfieldAgreement, error) {
	whole := Share{Name: "cranfield", Root: filepath.Join(dir, "share")}
	if _, _, err := cran.WriteShare(whole.Root, FormatText); err != nil {
		return nil, err
	}
	w := make([]int64, len(cran.Docs))
	for i, d := range cran.Docs {
		w[i] = int64(len(d.Text))
	}
	ends, err := SplitPoints(w, o.Nodes)
	if err != nil {
		return nil, err
	}
	var parts []Share
	start := 0
	for i, end := range ends {
		sh := Share{Name: "cranfield", Root: filepath.Join(dir, fmt.Sprintf("share%d", i+1))}
		part := &Cranfield{Docs: cran.Docs[start:end]}
		if _, _, err := part.WriteShare(sh.Root, FormatText); err != nil {
			return nil, err
		}
		parts = append(parts, sh)
		start = end
	}

	logf("cranfield: indexing %d documents on one node and on the cluster ...", len(cran.Docs))
	want := uint64(len(cran.Docs))
	single, err := NodeLauncher{Logger: o.NodeLogger}.Launch(ctx, whole, filepath.Join(dir, "single"))
	if err != nil {
		return nil, err
	}
	cl := &GatewayCluster{Logger: o.NodeLogger}
	defer closeAll(single, cl)
	if err := WaitSearchable(ctx, single, want, o.Wait); err != nil {
		return nil, fmt.Errorf("one node: %w", err)
	}
	if err := cl.StartGateway(ctx, dir); err != nil {
		return nil, err
	}
	if err := cl.AddDataNodes(ctx, parts, dir); err != nil {
		return nil, err
	}
	if err := WaitSearchable(ctx, cl, want, o.Wait); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	if err := WaitQuiet(ctx, cl, 0); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	one, err := client.NewWithOptions(single.SearchURL(), single.ClientOptions())
	if err != nil {
		return nil, err
	}
	gw, err := client.NewWithOptions(cl.SearchURL(), cl.ClientOptions())
	if err != nil {
		return nil, err
	}

	out := &CranfieldAgreement{Docs: len(cran.Docs), Queries: len(cran.Queries)}
	for _, form := range []struct {
		name    string
		anyWord bool
	}{{SysProduct, false}, {SysProductAny, true}} {
		queries := make([]string, len(cran.Queries))
		for i, q := range cran.Queries {
			queries[i] = PlainQuery(q.Text, form.anyWord)
		}
		a, err := TopHits(ctx, one, queries, TopK)
		if err != nil {
			return nil, err
		}
		b, err := TopHits(ctx, gw, queries, TopK)
		if err != nil {
			return nil, err
		}
		ka, kb := HitKeys(a, hitCranID), HitKeys(b, hitCranID)
		row := CranfieldRow{System: form.name, Agreement: Compare(ka, kb, TopK)}
		var na, nb []float64
		for i, q := range cran.Queries {
			gains := cran.Qrels.Gains(q.Num)
			na = append(na, eval.NDCG(ka[i], gains, TopK))
			nb = append(nb, eval.NDCG(kb[i], gains, TopK))
		}
		row.Single, row.Cluster = eval.Mean(na), eval.Mean(nb)
		logf("cranfield, %s: nDCG@10 one node %.4f, cluster %.4f; top-10 overlap %.3f, identical %d of %d",
			form.name, row.Single, row.Cluster, row.Agreement.Overlap, row.Agreement.Identical, row.Agreement.Queries)
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}
