// core/clock.h — time behind an interface, so retry tests need not sleep.
#pragma once

namespace oclip {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual double now_s() = 0;  // monotonic
  virtual void sleep_s(double seconds) = 0;
};

// The real clock: steady_clock and this_thread::sleep_for.
Clock& system_clock();

}  // namespace oclip
