#pragma once
// Object stores (S3 and S3-compatible servers) through GDAL's virtual file systems (/vsis3/). GDAL
// does the HTTP, the request signing, the retries and the multipart uploads; its configuration comes
// from the environment, as for GDAL's tools: AWS_S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_HTTPS, AWS_VIRTUAL_HOSTING, AWS_REGION (docs/s3.md).
//
// An object appears whole when its upload completes (an S3 PUT is atomic), so that a writer killed
// mid-upload leaves nothing under the object's name. None of these functions is collective; each is
// thread-safe (GDAL's /vsis3/ handles are independent), deterministic for a given store state.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace trellis::io {

// "s3://bucket/key" as GDAL names it ("/vsis3/bucket/key"); any other path unchanged.
std::string gdal_path(const std::string& uri);
// Whether `path` (after gdal_path) is on an object store GDAL reaches by HTTP (/vsis3/, /vsigs/,
// /vsiaz/, /vsioss/, /vsiswift/, /vsiadls/).
bool is_object_store_path(const std::string& path);
// The bucket of an s3:// URI or a /vsis3/ path ("" for other paths).
std::string s3_bucket(const std::string& path);

// Why the bucket of an s3:// or /vsis3/ path cannot be used, in one line naming the endpoint; "" when it
// can be listed. Network access. Throws nothing.
std::string s3_bucket_problem(const std::string& path);

// The bytes of an object, or nullopt when it does not exist. Throws IoError when it exists and cannot
// be read, or when the store cannot be reached (as vsi_exists).
std::optional<std::vector<std::byte>> vsi_read(const std::string& path);
// Uploads `bytes` as the object at `path` (one PUT; it appears only when complete). Throws IoError.
void vsi_write(const std::string& path, std::span<const std::byte> bytes);
// Whether the object (or, for a "folder" prefix, some object under it) exists. Throws IoError when the
// store cannot be reached (GDAL 3.6 reports an unreachable store as a missing object: for S3, a missing
// object is confirmed by listing its bucket).
bool vsi_exists(const std::string& path);
// Whether `path` is an object (not a "folder" prefix, not missing). Throws IoError as vsi_exists.
bool vsi_is_object(const std::string& path);
// The names directly under the prefix `dir` (objects and sub-prefixes), sorted; empty when there is
// none. Throws IoError when the store cannot be reached.
std::vector<std::string> vsi_list(const std::string& dir);
// Deletes an object; a missing object is not an error. Throws IoError.
void vsi_remove(const std::string& path);
// Deletes every object under the prefix `dir`. Throws IoError.
void vsi_remove_tree(const std::string& dir);

}  // namespace trellis::io
