// notify.h — the two parts of systemd's sd_notify protocol the agent daemon
// uses (Type=notify and the watchdog), written out so paw-agent does not link
// libsystemd and the seven libraries it pulls in (libgcrypt, liblzma, libzstd,
// liblz4, libcap, ...): ~1 MB of resident memory and their relocations at
// every start. The protocol is stable and documented in sd_notify(3) and
// systemd.exec(5) ("$NOTIFY_SOCKET").
#pragma once

#include <cstdint>
#include <string_view>

namespace paw::agent {

// notify sends |state| ("READY=1\nSTATUS=…") as one datagram to the AF_UNIX
// socket named by $NOTIFY_SOCKET (a path, or "@name" for the abstract
// namespace). Without $NOTIFY_SOCKET, or when sending fails, nothing happens:
// as sd_notify, it never stops the daemon.
void notify(std::string_view state) noexcept;

// watchdog_usec is $WATCHDOG_USEC when the watchdog is meant for this process
// ($WATCHDOG_PID unset or our pid), else 0 (as sd_watchdog_enabled).
std::uint64_t watchdog_usec() noexcept;

}  // namespace paw::agent
