// event_export.h — every event also to a JSON-lines file and to syslog.
//
// The events table stays the record (pawctl events, webhooks.h); the
// exporters copy it out for a SIEM. Each destination has one worker thread
// with its own cursor in memory: it starts after the newest event at start
// (no backlog of old history), reads the events in id order (every replica's,
// as the webhooks do: configure an export on one replica to get the whole
// fleet's events once), writes them and moves on. Requests never wait for
// it: recording an event only wakes the workers (notify).
//
// A write that fails (disk full, collector down) is logged once, counted,
// and retried with back-off (1 s doubling to 60 s) holding back the later
// events of that destination, so none is skipped while the process runs;
// the event is in the store regardless. Events recorded while the verifier
// is stopped are not exported at the next start (`pawctl events` has them).
//
//   events-file PATH       one JSON object a line (syslog_format.h
//                          event_json_line), appended; created 0600. Before
//                          each batch the path is checked against the open
//                          file (device and inode): after logrotate renames
//                          it (or it is deleted) a new file is created, so
//                          no SIGHUP and no copytruncate is needed.
//   events-syslog DEST     one message per datagram: udp://HOST:PORT (RFC
//                          5426) or unix:PATH (a datagram socket such as
//                          /dev/log); RFC 5424 (syslog_format.h) or, by
//                          default for unix:, the local form (syslog_local.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config.h"
#include "paw/attest/error.h"
#include "store/store.h"
#include "syslog_format.h"
#include "wakeup.h"

namespace paw::verifier {

// EventSink writes one event somewhere (event_export.cpp: file, syslog).
class EventSink {
 public:
  virtual ~EventSink() = default;
  // name is the metrics label: "file" or "syslog".
  [[nodiscard]] virtual std::string name() const = 0;
  // write delivers |e| or says why not (the worker retries it).
  virtual Status write(const EventRecord& e) = 0;
};

struct EventExportSettings {
  std::string file;    // events-file ("" = none)
  std::string syslog;  // events-syslog ("" = none)
  SyslogFacility facility = SyslogFacility::authpriv;
  std::size_t syslog_max = kSyslogDefaultMax;
  bool syslog_local = false;  // the local /dev/log form (syslog_local.h) instead of RFC 5424
};

// syslog_local_form resolves events-syslog-format for |dest|: "local" and
// "rfc5424" as said; "auto" is the local form for unix: (journald's and
// rsyslog's /dev/log parse only that header) and RFC 5424 for udp://.
bool syslog_local_form(const std::string& format, const std::string& dest);

// check_syslog_destination checks an events-syslog value: Errc::config_error
// unless it is udp://HOST:PORT (port 1–65535, IPv6 in brackets) or unix:/PATH.
Status check_syslog_destination(const std::string& dest);

class EventExport {
 public:
  // create opens the file (one that cannot be opened is Errc::config_error at
  // start, not a silent gap later), checks the syslog destination's form (it
  // is connected at the first event: a collector down at start is retried
  // like one that goes down later) and starts the workers.
  static Result<std::unique_ptr<EventExport>> create(const EventExportSettings& s, Store& store);
  // from_config is create with the settings of |cfg| (config.h); a null
  // pointer when neither events-file nor events-syslog is set.
  static Result<std::unique_ptr<EventExport>> from_config(const Config& cfg, Store& store);
  ~EventExport();
  EventExport(const EventExport&) = delete;
  EventExport& operator=(const EventExport&) = delete;

  void notify();
  void stop();
  // metrics renders the Prometheus counters of every destination.
  [[nodiscard]] std::string metrics() const;

 private:
  struct Worker {
    std::unique_ptr<EventSink> sink;
    std::atomic<std::uint64_t> written{0};
    std::atomic<std::uint64_t> failures{0};
    std::thread thread;
  };
  EventExport(Store& store, std::int64_t start_after) : store_(store), start_after_(start_after) {}
  void run(Worker& w);

  Store& store_;
  std::int64_t start_after_;
  std::vector<std::unique_ptr<Worker>> workers_;
  Wakeup wake_;
};

}  // namespace paw::verifier
