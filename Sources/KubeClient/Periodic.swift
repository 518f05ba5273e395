/// The one periodic loop (client-go's `wait.JitterUntil`): runs `body` after `initialDelay`, then
/// again after each wait `body` returns, until it returns nil or the task is cancelled. Leader
/// election, the zero scaler's and the collector's one-second looks, and `repeatedly` (the
/// refreshers, the Alertmanager list) run on it; the collector's queries keep their own timetable.
public enum Periodic {
    public static func run(initialDelay: Duration = .zero, isolation: isolated (any Actor)? = #isolation, _ body: () async -> Duration?) async {
        if initialDelay > .zero {
            do { try await Task.sleep(for: initialDelay) } catch { return }
        }
        while !Task.isCancelled {
            guard let wait = await body() else { return }
            do { try await Task.sleep(for: wait) } catch { return }
        }
    }
}

extension Duration {
    /// This duration stretched by a random part of up to `fraction` of it (0.1: up to 10 % longer),
    /// so loops started together drift apart.
    public func jittered(by fraction: Double) -> Duration {
        fraction <= 0 ? self : self * Double.random(in: 1...(1 + fraction))
    }
}
