#pragma once
// The neighbourhood of a focal op, from several keys of the step (a composite parameter):
//   neighborhood: circle              the shape: square, circle, nesw, wedge or annulus
//   radius: 2.5                       its named sizes: extent (square, nesw), radius (circle, wedge),
//                                     start_angle, end_angle (wedge), inner, outer (annulus)
//   param_1: 2.5                      or GeoPySpark's positional param_1..param_3, in that order
//   neighborhood: {shape: circle, radius: 2.5}   or all of it in one map
// Square and Nesw extents are whole numbers (param_1 is truncated, as GeoPySpark does); an annulus'
// inner radius defaults to 0. Errors name the key at fault, with did-you-mean for shapes.
#include <string>
#include <vector>

#include "core/neighbourhood.hpp"
#include "job/schema.hpp"

namespace trellis::job {

// The keys' specs, in the order `trellis ops` shows them.
std::vector<ParamSpec> neighbourhood_specs();
// The neighbourhood the keys give. Throws JobError "FILE:L:C: step 'x' (op): parameter 'k': ...".
Neighbourhood parse_neighbourhood(const CompositeValues& v);

// Declares the neighbourhood keys of an op, bound to `member`.
template <class Args>
void declare_neighbourhood(Schema<Args>& s, Neighbourhood Args::*member) {
  s.add_composite(member, neighbourhood_specs(),
                  std::function<Neighbourhood(const CompositeValues&)>(parse_neighbourhood));
}

}  // namespace trellis::job
