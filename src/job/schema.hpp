#pragma once
// Typed parameters. An op (or the site configuration) declares its parameters once, each bound to a
// member of its arguments struct, the way PDAL's `args.add(name, help, member, default)` does:
//
//   struct TilingArgs { int tile_size = 256; std::optional<Extent> extent; ... };
//   void declare(Schema<TilingArgs>& s) {
//     s.add("tile_size", &TilingArgs::tile_size, "tile width and height in cells").range(1, 65536);
//     s.add("extent", &TilingArgs::extent, "layout extent (with `layout`)");
//     s.together({"extent", "layout"}, "an explicit layout");
//   }
//
// That one declaration gives the registry its ParamSpecs (what the loader validates, `trellis ops`
// prints and docs/ops shows; the default is the struct's own member initializer) and fills the struct
// from a step's validated values at load time (bind()). Parameter groups (together, excludes, exactly
// one of) and cross-parameter checks are declared too, and a parameter whose default comes from the
// site configuration says so (site_default()).
#include <algorithm>
#include <any>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "io/geotiff.hpp"
#include "job/param_traits.hpp"
#include "job/params.hpp"

namespace trellis::job {

// The defaults a site configuration gives to parameters that a job leaves unset.
struct SiteDefaults {
  std::optional<std::int64_t> round_mb;        // from memory_per_rank (round_mb_for_budget)
  std::optional<io::Compression> compression;  // `compression`
};
// The site setting a SiteDefaults member comes from ("memory_per_rank", "compression").
std::string site_setting_name(std::optional<std::int64_t> SiteDefaults::*m);
std::string site_setting_name(std::optional<io::Compression> SiteDefaults::*m);

// The values of the keys of a composite parameter (one value built from several keys).
class CompositeValues {
 public:
  CompositeValues(const Params& p, std::vector<std::string> keys) : p_(p), keys_(std::move(keys)) {}
  // The key's value, or nullptr when the job does not give it.
  const ParamValue* get(const std::string& key) const { return p_.has(key) ? &p_.raw(key) : nullptr; }
  // Messages about one key ("FILE:L:C: step 'x' (op): parameter 'key': why").
  ValueContext context(const std::string& key) const;
  // A JobError at the step ("FILE:L:C: step 'x' (op): why").
  JobError step_error(const std::string& why) const { return p_.step_error(why); }
  const std::vector<std::string>& keys() const { return keys_; }
  const Params& params() const { return p_; }

 private:
  const Params& p_;
  std::vector<std::string> keys_;
};

// The type-erased side of a schema: what the loader, the registry and the executor use.
class SchemaBase {
 public:
  virtual ~SchemaBase() = default;
  // The declared parameters, in declaration order.
  const std::vector<ParamSpec>& specs() const { return specs_; }
  // The arguments struct filled from a step's validated values (defaults applied by the loader): every
  // value parsed, groups and checks verified. Deterministic, not collective. Throws JobError
  // "FILE:LINE:COL: step 'x' (op): ...".
  virtual std::any bind(const Params& p) const = 0;
  // Sets the parameters declared with a site default that the step does not give to the site's value
  // (when the site has one). Returns a note per parameter set ("round_mb 16"). Does not throw.
  virtual std::vector<std::string> apply_site(std::any& args, const Params& p,
                                              const SiteDefaults& site) const = 0;
  // The name of the parameter bound to the member pointer that `member` holds ("" when none).
  virtual std::string name_of(const std::any& member) const = 0;

 protected:
  std::vector<ParamSpec> specs_;
};

template <class Args>
class Schema;

// Cross-parameter checks see the bound arguments and report errors at a parameter's place.
template <class Args>
class Checker {
 public:
  Checker(const Params& p, const Schema<Args>& s) : p_(p), s_(s) {}
  // A JobError at the member's parameter (at the step when the job does not give it).
  template <class M>
  [[noreturn]] void fail(M Args::*member, const std::string& why) const {
    throw p_.error(s_.name_of(std::any(member)), why);
  }
  [[noreturn]] void fail_step(const std::string& why) const { throw p_.step_error(why); }
  // True when the job gives the member's parameter (not a default).
  template <class M>
  bool given(M Args::*member) const {
    return p_.given(s_.name_of(std::any(member)));
  }
  const Params& params() const { return p_; }

 private:
  const Params& p_;
  const Schema<Args>& s_;
};

template <class Args>
class Schema final : public SchemaBase {
  static_assert(std::is_default_constructible_v<Args> && std::is_copy_constructible_v<Args>);

 public:
  // The options of one declared parameter (chained after add()).
  class Field {
   public:
    // spec i of the schema, field f (they differ once a composite has added its keys' specs).
    Field(Schema& s, std::size_t i, std::size_t f) : s_(s), i_(i), f_(f) {}
    Field& required() {
      spec().required = true;
      spec().default_value.reset();
      return *this;
    }
    Field& range(std::optional<double> min, std::optional<double> max) {
      spec().min = min;
      spec().max = max;
      return *this;
    }
    Field& alias(std::string name) {
      spec().aliases.push_back(std::move(name));
      return *this;
    }
    // Restricts a string or enumeration parameter to these canonical names (a subset of the type's).
    Field& choices(std::vector<std::string> names) {
      spec().choices = std::move(names);
      return *this;
    }
    // The shown type, when the C++ type's name says too little ("band list").
    Field& type_name(std::string name) {
      spec().type_name = std::move(name);
      return *this;
    }
    // When the job leaves the parameter unset, the site configuration's value (if it sets one) is used
    // instead of the declared default; numbers are clamped to the declared range.
    template <class S>
    Field& site_default(std::optional<S> SiteDefaults::*from) {
      spec().site_default = site_setting_name(from);
      s_.fields_[f_].site = s_.make_site_hook(from, i_, f_);
      return *this;
    }

   private:
    ParamSpec& spec() { return s_.specs_[i_]; }
    Schema& s_;
    std::size_t i_, f_;
  };

  // Declares parameter `name` bound to `member`. Its type comes from ParamTraits<M>; its default is
  // the member's initial value in Args{} (none for std::optional members).
  template <class M>
  Field add(std::string name, M Args::*member, std::string help) {
    ParamSpec spec;
    spec.name = name;
    spec.type = ParamTraits<M>::shape;
    spec.type_name = ParamTraits<M>::type_name();
    spec.help = std::move(help);
    if constexpr (ChoiceParam<M>) spec.choices = ParamTraits<M>::choices();
    if constexpr (RenderableParam<M>) spec.default_value = ParamTraits<M>::render(Args{}.*member);
    specs_.push_back(std::move(spec));
    FieldImpl f;
    f.name = std::move(name);
    f.set = [member](Args& a, const ParamValue& v, const ValueContext& c) {
      a.*member = ParamTraits<M>::parse(v, c);
    };
    f.is_member = [member](const std::any& m) {
      const auto* p = std::any_cast<M Args::*>(&m);
      return p && *p == member;
    };
    fields_.push_back(std::move(f));
    return Field(*this, specs_.size() - 1, fields_.size() - 1);
  }

  // Declares a value built from several keys (e.g. a neighbourhood from `neighborhood`, `radius`,
  // `param_1`...): `keys` are their specs (validated and documented like any parameter), `parse` builds
  // the member from the keys the job gives.
  template <class M>
  void add_composite(M Args::*member, std::vector<ParamSpec> keys,
                     std::function<M(const CompositeValues&)> parse) {
    std::vector<std::string> names;
    for (auto& k : keys) {
      names.push_back(k.name);
      specs_.push_back(std::move(k));
    }
    Composite c;
    c.keys = names;
    c.set = [member, parse = std::move(parse), names](Args& a, const Params& p) {
      a.*member = parse(CompositeValues(p, names));
    };
    c.is_member = [member](const std::any& m) {
      const auto* p = std::any_cast<M Args::*>(&m);
      return p && *p == member;
    };
    composites_.push_back(std::move(c));
  }

  // Groups. `why` completes the message.
  // All or none of `names` ("`extent` and `layout` go together (an explicit layout); give both or
  // neither").
  void together(std::vector<std::string> names, std::string why = {}) {
    groups_.push_back({Group::Together, std::move(names), std::move(why)});
  }
  // Not both (at the second one's place): "`zoom` cannot be combined with `extent`" or `why`.
  void excludes(std::string a, std::string b, std::string why = {}) {
    groups_.push_back({Group::Excludes, {std::move(a), std::move(b)}, std::move(why)});
  }
  // Exactly one of `names`.
  void exactly_one_of(std::vector<std::string> names, std::string why = {}) {
    groups_.push_back({Group::ExactlyOne, std::move(names), std::move(why)});
  }
  // A check on the bound arguments, after the groups (e.g. a value that needs another's value).
  void check(std::function<void(const Args&, const Checker<Args>&)> f) { checks_.push_back(std::move(f)); }

  std::any bind(const Params& p) const override {
    check_groups(p);
    Args a{};
    for (const auto& f : fields_)
      if (p.has(f.name)) f.set(a, p.raw(f.name), ValueContext(where(p, f.name), p.job_dir(), &p.inputs()));
    for (const auto& c : composites_) c.set(a, p);
    const Checker<Args> checker(p, *this);
    for (const auto& c : checks_) c(a, checker);
    return a;
  }

  std::vector<std::string> apply_site(std::any& args, const Params& p,
                                      const SiteDefaults& site) const override {
    std::vector<std::string> notes;
    Args* a = std::any_cast<Args>(&args);
    if (!a) return notes;
    for (const auto& f : fields_)
      if (f.site && !p.given(f.name))
        if (auto note = f.site(*a, site); !note.empty()) notes.push_back(f.name + " " + note);
    return notes;
  }

  std::string name_of(const std::any& member) const override {
    for (const auto& f : fields_)
      if (f.is_member(member)) return f.name;
    for (const auto& c : composites_)
      if (c.is_member(member)) return c.keys.front();
    return {};
  }

 private:
  struct FieldImpl {
    std::string name;
    std::function<void(Args&, const ParamValue&, const ValueContext&)> set;
    std::function<bool(const std::any&)> is_member;
    std::function<std::string(Args&, const SiteDefaults&)> site;  // empty: no site default
  };
  struct Composite {
    std::vector<std::string> keys;
    std::function<void(Args&, const Params&)> set;
    std::function<bool(const std::any&)> is_member;
  };
  struct Group {
    enum Kind { Together, Excludes, ExactlyOne } kind;
    std::vector<std::string> names;
    std::string why;
  };

  // "step 'x' (op): parameter 'name'"; just the name for settings (no step).
  static std::string where(const Params& p, const std::string& name) {
    if (p.step_id().empty()) return name;
    return "step '" + p.step_id() + "' (" + p.op() + "): parameter '" + name + "'";
  }

  // The hook that copies a site value into the member of field f, whose spec is i (found again by name at
  // bind time).
  template <class S>
  std::function<std::string(Args&, const SiteDefaults&)> make_site_hook(std::optional<S> SiteDefaults::*from,
                                                                        std::size_t i, std::size_t f) {
    const ParamSpec spec = specs_[i];
    const ValueContext ctx("site configuration", "");
    // The member is reached through a ParamValue of the site's value: the field's own setter parses it,
    // so the site value is converted (and range-clamped) as a job's value would be.
    return [from, spec, set = fields_[f].set, ctx](Args& a, const SiteDefaults& s) -> std::string {
      const std::optional<S>& v = s.*from;
      if (!v) return {};
      ParamValue pv = ParamTraits<S>::render(*v);
      if constexpr (std::is_arithmetic_v<S>) {
        double d = static_cast<double>(*v);
        if (spec.min) d = std::max(d, *spec.min);
        if (spec.max) d = std::min(d, *spec.max);
        pv = ParamTraits<S>::render(static_cast<S>(d));
      }
      set(a, pv, ctx);
      return pv.to_string();
    };
  }
  void check_groups(const Params& p) const;

  std::vector<FieldImpl> fields_;
  std::vector<Composite> composites_;
  std::vector<Group> groups_;
  std::vector<std::function<void(const Args&, const Checker<Args>&)>> checks_;
};

// Group messages, shared by every Schema.
namespace detail {
void check_together(const Params& p, const std::vector<std::string>& names, const std::string& why);
void check_excludes(const Params& p, const std::string& a, const std::string& b, const std::string& why);
void check_exactly_one(const Params& p, const std::vector<std::string>& names, const std::string& why);
}  // namespace detail

template <class Args>
void Schema<Args>::check_groups(const Params& p) const {
  for (const auto& g : groups_) {
    switch (g.kind) {
      case Group::Together:
        detail::check_together(p, g.names, g.why);
        break;
      case Group::Excludes:
        detail::check_excludes(p, g.names[0], g.names[1], g.why);
        break;
      case Group::ExactlyOne:
        detail::check_exactly_one(p, g.names, g.why);
        break;
    }
  }
}

}  // namespace trellis::job
