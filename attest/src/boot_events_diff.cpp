// boot_events_diff.cpp — event-level differences between two verified boots
// (boot_events.h): which variable, boot application, command line or
// firmware blob changed, was added or was removed, PCR by PCR.
#include <algorithm>
#include <map>
#include <tuple>

#include "paw/attest/boot_events.h"

namespace paw {
namespace {

// group_name: UEFI variables are known by name across boots (the db of one
// boot is the db of the other); everything else only by type and order.
std::string group_name(const BootEvent& e) {
  const bool variable = e.type == ev::kEfiVariableDriverConfig || e.type == ev::kEfiVariableAuthority ||
                        e.type == ev::kEfiVariableBoot || e.type == ev::kEfiVariableBoot2;
  if (!variable) return event_type_name(e.type);
  const std::string prefix = e.type == ev::kEfiVariableAuthority ? "authority " : "";
  return prefix + (e.subject.empty() ? "(unnamed variable)" : e.subject);
}

using Key = std::tuple<std::uint32_t, std::uint32_t, std::string>;  // PCR, type, group name

bool same(const BootEvent& a, const BootEvent& b) { return a.alg == b.alg && a.digest == b.digest; }

// diff_group compares one group: equal digests matched first, then pairs in
// order (changed), then the rest (added / removed).
void diff_group(const Key& key, const std::vector<const BootEvent*>& ref, const std::vector<const BootEvent*>& dev,
                std::vector<BootEventChange>& out) {
  std::vector<bool> ref_used(ref.size(), false), dev_used(dev.size(), false);
  for (std::size_t i = 0; i < dev.size(); ++i) {
    for (std::size_t j = 0; j < ref.size(); ++j) {
      if (ref_used[j] || !same(*dev[i], *ref[j])) continue;
      ref_used[j] = dev_used[i] = true;
      break;
    }
  }
  std::vector<const BootEvent*> r, d;
  for (std::size_t j = 0; j < ref.size(); ++j) {
    if (!ref_used[j]) r.push_back(ref[j]);
  }
  for (std::size_t i = 0; i < dev.size(); ++i) {
    if (!dev_used[i]) d.push_back(dev[i]);
  }
  const auto& [pcr, type, name] = key;
  for (std::size_t k = 0; k < std::max(r.size(), d.size()); ++k) {
    BootEventChange c;
    c.pcr = pcr;
    c.type = type;
    c.key = name;
    if (k < r.size()) c.reference = *r[k];
    if (k < d.size()) c.device = *d[k];
    c.kind = !c.reference ? BootEventChange::Kind::added
             : !c.device  ? BootEventChange::Kind::removed
                          : BootEventChange::Kind::changed;
    out.push_back(std::move(c));
  }
}

}  // namespace

std::vector<BootEventChange> diff_boot_events(const BootEvents& reference, const BootEvents& device) {
  std::map<Key, std::pair<std::vector<const BootEvent*>, std::vector<const BootEvent*>>> groups;
  for (const auto& e : reference.events) groups[{e.pcr, e.type, group_name(e)}].first.push_back(&e);
  for (const auto& e : device.events) groups[{e.pcr, e.type, group_name(e)}].second.push_back(&e);
  std::vector<BootEventChange> out;
  for (const auto& [key, lists] : groups) diff_group(key, lists.first, lists.second, out);
  std::stable_sort(out.begin(), out.end(), [](const BootEventChange& a, const BootEventChange& b) {
    const std::uint32_t ia = a.device ? a.device->index : a.reference->index;
    const std::uint32_t ib = b.device ? b.device->index : b.reference->index;
    return std::tie(a.pcr, ia) < std::tie(b.pcr, ib);
  });
  return out;
}

std::string_view boot_event_change_kind_name(BootEventChange::Kind k) {
  switch (k) {
    case BootEventChange::Kind::changed: return "changed";
    case BootEventChange::Kind::added: return "added";
    case BootEventChange::Kind::removed: return "removed";
  }
  return "changed";
}

json::ArrayPtr boot_event_changes_to_json(const std::vector<BootEventChange>& changes) {
  json::ArrayPtr a = new Poco::JSON::Array();
  for (const auto& c : changes) {
    json::ObjectPtr o = new Poco::JSON::Object();
    o->set("change", std::string(boot_event_change_kind_name(c.kind)));
    o->set("pcr", static_cast<std::int64_t>(c.pcr));
    o->set("type", event_type_name(c.type));
    o->set("key", c.key);
    if (c.reference) o->set("reference", boot_event_to_json(*c.reference));
    if (c.device) o->set("device", boot_event_to_json(*c.device));
    a->add(o);
  }
  return a;
}

}  // namespace paw
