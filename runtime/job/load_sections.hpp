#pragma once
// Internal: the loaders of a job file's sections, called by load_job_spec in this order. Each
// reads its part of the TOML document into `spec`, checking every value as it goes (errors are
// JobErrors at the value's place); later sections may refer to what earlier ones loaded.

#include <string_view>

#include "job/job_loader.hpp"
#include "job/job_spec.hpp"
#include "job/toml_reader.hpp"

namespace tessera::detail {

/// [params], with --set overrides applied, resolved in dependency order into spec.params.
void load_params(const TomlReader& in, const toml::table& root, const ParamOverrides& overrides,
                 JobSpec& spec);
/// [job]: name, devices, scheduler and its settings.
void load_job_table(const TomlReader& in, const toml::table& job, JobSpec& spec);
/// [program]: source or builtin, options, defines.
void load_program(const TomlReader& in, const toml::table& root, JobSpec& spec);
/// [buffers.NAME]: type, count or shape, init, output, image.
void load_buffers(const TomlReader& in, const toml::table& root, JobSpec& spec);
/// [[steps]]: kernel, ranges, arguments, repeat, swap.
void load_steps(const TomlReader& in, const toml::table& root, JobSpec& spec);
/// [[checks]]: a buffer against a file or a sum.
void load_checks(const TomlReader& in, const toml::node& checks, JobSpec& spec);
/// Across sections: a buffer without init is written before any step reads it.
void check_first_uses(const TomlReader& in, const JobSpec& spec);

// Shared by the section loaders.

/// The index of the buffer `node` names.
std::size_t buffer_index(const TomlReader& in, const JobSpec& spec, const toml::node& node,
                         std::string_view path);
/// The element type `node` names ("float").
ElementType element_type_at(const TomlReader& in, const toml::node& node, std::string_view path);
/// A raw .bin file holds exactly the bytes of buffer `b`.
void check_bin_size(const TomlReader& in, const std::filesystem::path& file, const BufferSpec& b,
                    const toml::node& node, std::string_view path);
/// A .npy or .bin data file named by `node`, checked to exist; .npy tells which it is.
std::filesystem::path data_file_at(const TomlReader& in, const toml::node& node, std::string_view path,
                                   bool& npy);

}  // namespace tessera::detail
