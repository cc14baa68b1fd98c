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

}  // namespace trellis::job
