import Foundation
import KubeClient
import KubeModel
import Synchronization
import TestSupport
import Testing

@Suite("Watches and informers")
struct WatchInformerTests {
    @Test func watchDeliversEventsBookmarksAndExpiry() async throws {
        try await withFakeAPI(FakeAPIServer.Options(bookmarkInterval: .milliseconds(50))) { server, client in
            _ = try await client.create(deployment("a"))
            let version = try await client.list(Deployment.self).metadata?.resourceVersion
            var b = try await client.create(deployment("b"))
            b.spec?.replicas = 4
            b = try await client.update(b)
            try await client.delete(Deployment.self, namespace: "default", name: "a")

            var seen: [String] = []
            // Until the first bookmark after the three changes (the watch's own timeout is only a
            // hang bound: a loaded machine once went a whole 1 s watch without a bookmark).
            for try await event in try await client.watch(Deployment.self, options: WatchOptions(resourceVersion: version, timeoutSeconds: 90)) {
                switch event {
                case .added(let object): seen.append("ADDED \(object.metadata.name!)")
                case .modified(let object): seen.append("MODIFIED \(object.metadata.name!) \(object.spec?.replicas ?? 0)")
                case .deleted(let object): seen.append("DELETED \(object.metadata.name!)")
                case .bookmark(let version): seen.append(version.isEmpty ? "BOOKMARK ?" : "BOOKMARK")
                case .undecodable(let object): seen.append("UNDECODABLE \(object)")
                }
                if seen.count > 3 && seen.last?.hasPrefix("BOOKMARK") == true { break }
            }
            #expect(Array(seen.prefix(3)) == ["ADDED b", "MODIFIED b 4", "DELETED a"])
            #expect(seen.dropFirst(3).allSatisfy { $0 == "BOOKMARK" } && seen.count > 3)

            await server.compact()
            await #expect { for try await _ in try await client.watch(Deployment.self, options: WatchOptions(resourceVersion: version)) {} } throws: { error in
                guard case KubeError.expired(let status) = error else { return false }
                return status.message == "The resourceVersion for the provided watch is too old."
            }
        }
    }

    @Test func informerConvergesThroughDropsAndExpiry() async throws {
        try await withFakeAPI(FakeAPIServer.Options(eventWindow: 5000, bookmarkInterval: .milliseconds(200))) { server, writer in
            let relists = Atomic<Int>(0)
            let informer = Informer<Deployment>(
                client: KubeClient(config: writer.config), watchTimeoutSeconds: 5,
                backoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(100)),
                onRelist: { relists.add(1, ordering: .relaxed) })
            let events = informer.events()
            let lastEvents = Mutex<[ObjectKey: (type: String, version: String?)]>([:])
            let recorder = Task {
                for await event in events {
                    let type =
                        switch event {
                        case .added: "added"
                        case .updated: "updated"
                        case .deleted: "deleted"
                        }
                    lastEvents.withLock { $0[event.latest.key] = (type, event.latest.resourceVersion) }
                }
            }
            await server.dropWatches(afterEvents: 50)
            let running = Task { await informer.run() }
            await informer.waitForSync()

            var live: [String] = []
            var counter = 0
            var generator = SystemRandomNumberGenerator()
            for step in 0..<1000 {
                if step == 500 { await server.expireNextWatches() }
                let roll = Int.random(in: 0..<10, using: &generator)
                if live.isEmpty || roll < 4 {
                    counter += 1
                    let name = "d\(counter)"
                    _ = try await writer.create(deployment(name, namespace: ["a", "b", "c"].randomElement(using: &generator)!))
                    live.append(name)
                } else if roll < 8 {
                    let name = live.randomElement(using: &generator)!
                    let current = try await writer.list(Deployment.self, options: ListOptions(fieldSelector: "metadata.name=\(name)")).items[0]
                    var changed = current
                    changed.spec?.replicas = Int32.random(in: 1...50, using: &generator)
                    changed.metadata.labels?["step"] = String(step)
                    _ = try await writer.update(changed)
                } else {
                    let index = Int.random(in: 0..<live.count, using: &generator)
                    let name = live.remove(at: index)
                    let current = try await writer.list(Deployment.self, options: ListOptions(fieldSelector: "metadata.name=\(name)")).items[0]
                    try await writer.delete(Deployment.self, namespace: current.metadata.namespace, name: name)
                }
            }
            // One more event after the last compaction-era drop, so a rewatch certainly happens.
            _ = try await writer.create(deployment("final", namespace: "a"))

            let truth = try await writer.list(Deployment.self).items
            let expected = Dictionary(uniqueKeysWithValues: truth.map { ($0.metadata.key, $0.metadata.resourceVersion) })
            func cached() -> [ObjectKey: String?] {
                Dictionary(uniqueKeysWithValues: informer.items.map { ($0.metadata.key, $0.metadata.resourceVersion) })
            }
            #expect(try await Poll.until { cached() == expected })
            #expect(cached() == expected)
            #expect(relists.load(ordering: .relaxed) >= 1, "the forced 410 must cause a relist")

            // Every object's last event was seen: live ones at their final version, gone ones deleted
            // (the recorder reads the events on its own task: wait for it to have read them all).
            _ = try await Poll.until { lastEvents.withLock { $0.count } == counter + 1 && expected.allSatisfy { lastEvents.withLock { $0 }[$0.key]?.version == $0.value } }
            let last = lastEvents.withLock { $0 }
            for (key, version) in expected {
                #expect(last[key]?.type != "deleted" && last[key]?.version == version, "\(key)")
            }
            for (key, event) in last where expected[key] == nil {
                #expect(event.type == "deleted", "\(key) vanished without a deleted event")
            }
            #expect(last.count == counter + 1)

            // Cancelling the informer ends its watch and its event streams promptly.
            let stopped = ContinuousClock.now
            running.cancel()
            await running.value
            await recorder.value
            #expect(ContinuousClock.now - stopped < hangBound)
            #expect(try await Poll.until { await server.openWatches == 0 })
        }
    }

    @Test func informerWaitsAsLongAsRetryAfterAsks() async throws {
        try await withFakeAPI { server, client in
            await server.failNext(1, code: 429, retryAfterSeconds: 1, where: { _ in true })
            let informer = Informer<Deployment>(client: client, backoff: Backoff(initial: .milliseconds(1), maximum: .milliseconds(5)))
            let started = ContinuousClock.now
            let running = Task { await informer.run() }
            await informer.waitForSync()
            #expect(ContinuousClock.now - started >= .seconds(1))
            running.cancel()
            await running.value
        }
    }

    @Test func informerRetriesThroughServerErrors() async throws {
        try await withFakeAPI { server, client in
            _ = try await client.create(deployment("web"))
            await server.failNext(3, code: 500, where: { _ in true })
            let informer = Informer<Deployment>(client: client, backoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(20)))
            #expect(!informer.hasSynced)
            let running = Task { await informer.run() }
            await informer.waitForSync()
            #expect(informer.hasSynced)
            #expect(informer.get(namespace: "default", name: "web")?.metadata.name == "web")
            running.cancel()
            await running.value
        }
    }

    /// One object the model cannot read (a field of an unexpected type) is reported with its
    /// namespace/name and skipped; it never wedges the list or the watch for the others.
    @Test func anUndecodableObjectIsSkippedNotAWedge() async throws {
        let server = try await FakeAPIServer.start(FakeAPIServer.Options(bookmarkInterval: .milliseconds(100)))
        let client = KubeClient(config: ClientConfig(server: server.url))
        func post(_ name: String, replicas: String) async throws {
            _ = try await client.raw(
                "POST", "/apis/apps/v1/namespaces/shop/deployments",
                body: Data(#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"\#(name)","namespace":"shop"},"spec":{"replicas":\#(replicas)}}"#.utf8))
        }
        try await post("good", replicas: "1")
        try await post("bad", replicas: #""three""#)
        let errors = Mutex<[String]>([])
        let informer = Informer<Deployment>(
            client: client, backoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(50)),
            onError: { error in errors.withLock { $0.append("\(error)") } })
        let running = Task { await informer.run() }
        await informer.waitForSync()
        #expect(informer.items.map(\.metadata.name) == ["good"])
        #expect(errors.withLock { $0 }.contains { $0.contains("shop/bad") })
        // The watch goes on past another bad object.
        try await post("bad-too", replicas: "{}")
        try await post("later", replicas: "2")
        let later = try await Poll.until(timeout: hangBound) { informer.get(namespace: "shop", name: "later") != nil }
        #expect(later)
        #expect(errors.withLock { $0 }.contains { $0.contains("shop/bad-too") })
        running.cancel()
        await running.value
        await server.stop()
    }

    /// A half-open watch (the connection alive, no bytes) is noticed a little past its timeout
    /// and watched again; a watch that ends at once without events is a failure, with backoff.
    @Test func silentAndEmptyWatchesAreNotTrustedForever() async throws {
        let server = try await FakeAPIServer.start(FakeAPIServer.Options(bookmarkInterval: .seconds(60)))
        let client = KubeClient(config: ClientConfig(server: server.url))
        await server.hang { $0.isWatch }
        let errors = Mutex<[String]>([])
        let informer = Informer<Deployment>(
            client: client, watchTimeoutSeconds: 1, backoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(50)),
            onError: { error in errors.withLock { $0.append("\(error)") } })
        let running = Task { await informer.run() }
        let rewatched = try await Poll.until(timeout: hangBound) { await server.requests().filter(\.isWatch).count >= 2 }
        #expect(rewatched, "a silent watch was waited on forever")
        await server.stopHanging()
        await server.endWatchesAtOnce()
        let reported = try await Poll.until(timeout: hangBound) { errors.withLock { $0 }.contains { $0.contains("ended at once") } }
        #expect(reported, "\(errors.withLock { $0 })")
        running.cancel()
        await running.value
        await server.stop()
    }
}
