#pragma once
// What validating a job needs the file system or PROJ for: input files exist (or are written by an
// earlier step), outputs can be written, CRSs are known, cell type names parse. Part of the loader
// (job.hpp); not collective.
#include <map>
#include <string>
#include <vector>

#include "job/job.hpp"

namespace trellis::job {

// Checks the step's InputPath, OutputPath, Crs and CellTypeName parameters. `outputs` are the paths every
// step of the job writes (inputs among them need not exist yet); `typed` maps a parameter's name to the
// key the job spells it with. Throws JobError "FILE:LINE:COL: step 'x' (op): parameter 'key': ...".
void check_environment(const Step& s, const std::vector<std::string>& outputs,
                       const std::map<std::string, std::string>& typed);

// Checks that no output destroys an input or another output: an output that is a file some step reads
// (unless an earlier step writes it first: a file written, then read back), that a step's input glob or
// folder would read, or that another step writes too ({zoom} patterns included). `steps` in file order.
// Throws JobError at the later path's place: "FILE:L:C: step 'x' (op): parameter 'uri': ...".
void check_path_collisions(const std::vector<const Step*>& steps,
                           const std::vector<std::map<std::string, std::string>>& typed);

// Whether step `i` reads a file (or folder) that an earlier step of the job writes: its inputs' metadata
// is then unknown before the run. Not collective.
bool reads_earlier_output(const Job& job, std::size_t i);

}  // namespace trellis::job
