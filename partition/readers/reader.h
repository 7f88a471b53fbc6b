// Input readers: every supported raw graph format turned into a GraphData. Errors name the file
// and line ("edges.csv:17: expected at least 2 columns, got 1"). Any file may be gzip-compressed.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "partition/graph_data.h"

namespace halo::partition {

// The names accepted by --format.
const std::vector<std::string>& SupportedFormats();

// Reads `input` (a file or directory, depending on the format) in `format`. Fails with
// InvalidArgument for an unknown format (listing the supported ones) and NotFound when neither
// `input` nor `input.gz` exists. The result has passed GraphData::Validate.
core::Result<GraphData> ReadGraph(const std::string& input, const std::string& format);

// --format=edgelist: one edge per line, "src dst [weight]", separated by ',', tab or spaces
// (detected from the first data line). '#' starts a comment; an optional header line (first
// non-comment line whose first two fields are not integers) is skipped. IDs are arbitrary
// non-negative int64, compacted in ascending order; original IDs are kept (original_ids stays
// empty when they are already 0..n-1). Either every line has a weight (-> edge_weight) or none.
core::Result<GraphData> ReadEdgeList(const std::string& path);

// --format=linqs: `input` is either the `*.content` file, or a directory holding exactly one
// `*.content` and `*.cites`. Content lines: "<id> <f_1> ... <f_d> <class name>"; cites lines:
// "<cited> <citing>", i.e. an edge citing -> cited. Classes are numbered by sorted name. Nodes
// are 0..n-1 in content order, original_ids the paper IDs; no split.
core::Result<GraphData> ReadLinqs(const std::string& input);

// --format=planetoid-txt: a directory with `<name>.content` ("<node> <f_1> ... <f_d> <label>"),
// `<name>.edges` ("<u> <v>", undirected), `<name>.train`, `<name>.val`, `<name>.test` (one node
// per line). Nodes are 0..n-1 in content order. Labels are integers, -1 = unlabeled. Each edge
// is emitted in both directions (a self-loop once) and `directed` is false. The split files go
// together: all three, or none (no split).
core::Result<GraphData> ReadPlanetoidTxt(const std::string& dir);

// --format=metis: a METIS `.graph` file ("n m [fmt [ncon]]" header, '%' comments, 1-based
// neighbor lists, optional vertex sizes/weights and edge weights per fmt). Undirected: each
// adjacency entry u of vertex v becomes an edge u -> v, so every edge appears in both directions;
// the entries must number 2m. Edge weights go to edge_weight; vertex sizes/weights are checked,
// then dropped.
core::Result<GraphData> ReadMetisGraph(const std::string& path);

// --format=ogb: an OGB node-property dataset directory: raw/edge.csv, raw/num-node-list.csv,
// optional raw/node-feat.csv, raw/node-label.csv (nan = unlabeled), split/<name>/{train,valid,
// test}.csv; each file may be .csv.gz. Edges are directed as listed. split/ is optional; when
// present it holds exactly one folder, with all three files.
core::Result<GraphData> ReadOgb(const std::string& dir);

// --format=npy: a directory of .npy arrays: `src.npy` + `dst.npy` (edges src -> dst) or
// `indptr.npy` + `indices.npy` (row i lists the targets of edges i -> j), optional
// `edge_weight.npy`, `feat.npy` (float, n x d), `label.npy` (int), `train_mask.npy`,
// `val_mask.npy`, `test_mask.npy` (bool), `num_nodes.npy` (a 1-element int array; default:
// max ID + 1 or the row count). Labels are >= 0, or -1 for unlabeled; the masks go together.
core::Result<GraphData> ReadNpyDir(const std::string& dir);

}  // namespace halo::partition
