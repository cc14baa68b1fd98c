// trellis: run | validate | ops | info | serve | --version (job-format.md). Every rank runs the same command;
// output is printed by rank 0; an error is printed once, by the rank that saw it first.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string_view>

#include "cli/commands.hpp"
#include "cli/memory.hpp"
#include "core/error.hpp"
#include "launcher/huge_pages.hpp"
#include "mpi/failure.hpp"
#include "mpi/runtime.hpp"
#include "mpi/signals.hpp"
#include "trellis/version.hpp"

using namespace trellis;

namespace {

int dispatch(int argc, char** argv) {
  CLI::App app{"trellis: the GeoTrellis/GeoPySpark raster engine as one MPI program, run from YAML jobs"};
  app.set_version_flag("--version", std::string("trellis ") + kVersion);
  app.require_subcommand(1);

  cli::RunArgs run_args;
  auto* run =
      app.add_subcommand("run", "run a job on every rank (mpirun/srun), or as one process with all cores");
  run->add_option("job", run_args.job, "the job file (YAML)")->required();
  run->add_option("--var", run_args.vars, "KEY=VALUE for ${KEY} in the job (repeatable)");
  run->add_option("--log-level", run_args.log_level, "debug, info or warn")
      ->check(CLI::IsMember({"debug", "info", "warn"}));
  run->add_option(
      "--config", run_args.config,
      "site configuration (YAML: memory_per_rank, scratch, compression, threads, log_format, ...); "
      "default: $TRELLIS_CONFIG");

  cli::RunArgs val_args;
  auto* validate =
      app.add_subcommand("validate", "check a job without running it (exit 2 and file:line:col if wrong)");
  validate->add_option("job", val_args.job, "the job file (YAML)")->required();
  validate->add_option("--var", val_args.vars, "KEY=VALUE for ${KEY} in the job (repeatable)");
  validate->add_option("--config", val_args.config,
                       "site configuration to validate too (default: $TRELLIS_CONFIG)");
  validate
      ->add_option("--ranks", val_args.ranks,
                   "ranks the job will run on, for the memory estimate (default: $SLURM_NTASKS, else 1)")
      ->check(CLI::Range(1, 1 << 24));

  std::string op_name;
  auto* ops = app.add_subcommand("ops", "list the ops, or one op's parameters");
  ops->add_option("op", op_name, "an op name");

  std::string info_path;
  auto* info = app.add_subcommand(
      "info", "describe a raster file (CRS, extent, size, cell type, bands) or a catalog's layers");
  info->add_option(
          "path", info_path,
          "a raster file (any GDAL path, or s3://), or a catalog (folder, file://, s3:// or hdf5:// URI)")
      ->required();

  cli::ServeArgs serve_args;
  auto* serve = app.add_subcommand(
      "serve", "serve a catalog's Web Mercator layers as XYZ PNG tiles, with a map viewer at /");
  serve->add_option("catalog", serve_args.catalog, "a catalog folder, file://, s3:// or hdf5:// URI")
      ->required();
  serve->add_option("--bind", serve_args.bind, "the address to listen on (default 127.0.0.1)");
  serve->add_option("--port", serve_args.port, "the port (default 8080; 0: any free port)")
      ->check(CLI::Range(0, 65535));
  serve->add_option("--threads", serve_args.threads, "request threads (default 8)")
      ->check(CLI::Range(1, 1024));
  serve->add_option("--cache-mb", serve_args.cache_mb, "MiB of encoded tiles kept in memory (default 256)")
      ->check(CLI::Range(0, 1 << 20));
  serve->add_option("--style", serve_args.style,
                    "a style file (YAML): layer -> {ramp: viridis, quantiles: 10}");
  serve->add_option("--log-level", serve_args.log_level, "debug (one line per request), info or warn")
      ->check(CLI::IsMember({"debug", "info", "warn"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    if (mpi::Runtime::rank() == 0) app.exit(e);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    if (msg.empty()) msg = "bad command line";
    throw JobError(msg + " (trellis --help for usage)");
  }
  if (*run) return cli::command_run(run_args);
  if (*validate) return cli::command_validate(val_args);
  if (*ops) return cli::command_ops(op_name);
  if (*info) return cli::command_info(info_path);
  if (*serve) return cli::command_serve(serve_args);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // First: it may replace the process (cli/memory.hpp).
  if (launcher::runs_a_job(argc, argv)) cli::reexec_with_huge_pages(argv);
  cli::tune_malloc();
  mpi::Runtime::init(&argc, &argv);
  int code = 0;
  try {
    code = dispatch(argc, argv);
  } catch (const mpi::PeerFailure& e) {
    code = e.code();  // another rank failed and printed its error
  } catch (const mpi::StopRequested& e) {
    // Every rank agreed to stop at the same check-in (signals.hpp); rank 0 says what finished.
    cli::print_stopped(e.what(), e.signal());
    code = e.code();
  } catch (const Error& e) {
    mpi::Failure f = mpi::report_failure(e.code());
    if (f.rank == mpi::Runtime::rank()) cli::print_error(e.what());
    code = f.code;
  } catch (const std::exception& e) {
    mpi::Failure f = mpi::report_failure(kExitInternal);
    if (f.rank == mpi::Runtime::rank()) cli::print_error(std::string("internal error: ") + e.what());
    code = f.code;
  }
  mpi::Runtime::finalize();
  return code;
}
