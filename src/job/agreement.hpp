#pragma once
// Every rank must run the same job: ${VAR} resolves per rank (from its environment), so
// `tile_size: 3${OMPI_COMM_WORLD_RANK}`, ${HOSTNAME} or a node's ${TMPDIR} would make the ranks
// disagree, and exchange data of different shapes.
#include "job/job.hpp"

namespace trellis::job {

// Collective (every rank, after loading). Throws JobError on every rank alike, at the first value that
// differs: "FILE:L:C: step 'x' (op): parameter 'p' differs between the ranks: 30 on rank 0, 31 on rank
// 1 (...)". Throws PeerFailure when another rank failed (to load, say).
void check_ranks_agree(const Job& job);

}  // namespace trellis::job
