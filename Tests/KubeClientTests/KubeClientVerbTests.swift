import Foundation
import HTTPTransport
import KubeClient
import KubeModel
import Logging
import TestSupport
import Testing

@Suite("Typed verbs and errors")
struct KubeClientVerbTests {
    /// A scale conditional on the workload's resourceVersion is refused (409) once the workload
    /// has changed, as the apiserver refuses it; unconditional, it is written.
    @Test func aConditionalScaleOfAChangedWorkloadIsRefused() async throws {
        let server = try await FakeAPIServer.start()
        let client = KubeClient(config: ClientConfig(server: server.url))
        let created = try await client.create(Deployment(metadata: ObjectMeta(name: "web", namespace: "shop"), spec: WorkloadSpec(replicas: 1)))
        let read = try #require(created.metadata.resourceVersion)
        try await client.setReplicas(Deployment.self, namespace: "shop", name: "web", to: 3)
        await #expect(throws: KubeError.self) { try await client.setReplicas(Deployment.self, namespace: "shop", name: "web", to: 0, resourceVersion: read) }
        #expect(try await client.get(Deployment.self, namespace: "shop", name: "web").spec?.replicas == 3)
        let now = try #require(try await client.get(Deployment.self, namespace: "shop", name: "web").metadata.resourceVersion)
        #expect(try await client.setReplicas(Deployment.self, namespace: "shop", name: "web", to: 0, resourceVersion: now).spec?.replicas ?? 0 == 0)
        await server.stop()
    }

    @Test func crudRoundTrip() async throws {
        try await withFakeAPI { server, client in
            let created = try await client.create(deployment("web", replicas: 2))
            #expect(created.metadata.uid != nil && created.metadata.generation == 1)
            let fetched = try await client.get(Deployment.self, namespace: "default", name: "web")
            #expect(fetched.spec?.replicas == 2)

            var changed = fetched
            changed.spec?.replicas = 3
            let updated = try await client.update(changed)
            #expect(updated.metadata.generation == 2)
            #expect(updated.metadata.resourceVersion != fetched.metadata.resourceVersion)

            let patched = try await client.patch(Deployment.self, namespace: "default", name: "web", .merge(Data(#"{"metadata":{"labels":{"tier":"front"}}}"#.utf8)))
            #expect(patched.metadata.labels?["tier"] == "front")
            let jsonPatched = try await client.patch(Deployment.self, namespace: "default", name: "web", .json(Data(#"[{"op":"replace","path":"/spec/replicas","value":5}]"#.utf8)))
            #expect(jsonPatched.spec?.replicas == 5)

            var status = jsonPatched
            status.status = WorkloadStatus(replicas: 5)
            #expect(try await client.updateStatus(status).status?.replicas == 5)
            let scale = try await client.scale(Deployment.self, namespace: "default", name: "web")
            #expect(scale.spec?.replicas == 5 && scale.status?.replicas == 5 && scale.status?.selector == "app=web")

            try await client.delete(Deployment.self, namespace: "default", name: "web", uid: created.metadata.uid)
            await #expect(throws: KubeError.self) { try await client.get(Deployment.self, namespace: "default", name: "web") }
            #expect(await server.count(group: "apps", plural: "deployments") == 0)
        }
    }

    @Test func serverSideApplyIsOneRequest() async throws {
        try await withFakeAPI { server, client in
            let hpa = HorizontalPodAutoscaler(
                metadata: ObjectMeta(name: "web", namespace: "default", labels: ["app.kubernetes.io/managed-by": "hpa-operator"]),
                spec: HorizontalPodAutoscalerSpec(scaleTargetRef: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "web"), minReplicas: 1, maxReplicas: 4))
            await server.clearRequests()
            let applied = try await client.apply(hpa, fieldManager: "hpa-operator")
            #expect(applied.spec.maxReplicas == 4)
            let requests = await server.requests()
            #expect(requests.count == 1)
            #expect(requests.first?.method == "PATCH")
            #expect(requests.first?.path == "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web")
            #expect(requests.first?.query == ["fieldManager": "hpa-operator", "force": "true"])
            #expect(requests.first?.contentType == "application/apply-patch+yaml")
            let again = try await client.apply(hpa, fieldManager: "hpa-operator")
            #expect(again.metadata.resourceVersion == applied.metadata.resourceVersion)
        }
    }

    @Test func listsFollowPagesAndSelectors() async throws {
        try await withFakeAPI { _, client in
            for index in 0..<25 {
                _ = try await client.create(deployment("d\(index)", namespace: index % 2 == 0 ? "even" : "odd", labels: ["tier": index < 10 ? "front" : "back"]))
            }
            let all = try await client.list(Deployment.self, options: ListOptions(limit: 4))
            #expect(all.items.count == 25)
            #expect(Set(all.items.compactMap(\.metadata.name)).count == 25)
            #expect(all.metadata?.resourceVersion != nil)
            #expect(try await client.list(Deployment.self, namespace: "even").items.count == 13)
            #expect(try await client.list(Deployment.self, options: ListOptions(labelSelector: "tier in (front),app!=d0")).items.count == 9)
            #expect(try await client.list(Deployment.self, options: ListOptions(fieldSelector: "metadata.name=d3")).items.map(\.metadata.namespace) == ["odd"])
            await #expect(throws: KubeError.self) { try await client.list(Deployment.self, options: ListOptions(labelSelector: "a in (")) }
        }
    }

    @Test func statusErrorsBecomeTypedErrors() async throws {
        try await withFakeAPI { server, client in
            do {
                _ = try await client.get(Deployment.self, namespace: "default", name: "nope")
                Issue.record("expected NotFound")
            } catch let error as KubeError {
                guard case .notFound = error else {
                    Issue.record("\(error)")
                    return
                }
                #expect(error.description == #"deployments.apps "nope" not found (HTTP 404, NotFound)"#)
            }
            _ = try await client.create(deployment("web"))
            await #expect { try await client.create(deployment("web")) } throws: { error in
                guard case KubeError.alreadyExists = error else { return false }
                return true
            }
            var stale = try await client.get(Deployment.self, namespace: "default", name: "web")
            stale.metadata.resourceVersion = "1"
            await #expect { try await client.update(stale) } throws: { error in
                guard case KubeError.conflict = error else { return false }
                return true
            }
            await #expect { try await client.delete(Deployment.self, namespace: "default", name: "web", uid: "someone-else") } throws: { error in
                guard case KubeError.conflict(let status) = error else { return false }
                return status.message?.hasPrefix("Operation cannot be fulfilled on deployments.apps \"web\": Precondition failed: UID in precondition: someone-else") == true
            }
            await server.failNext(1, code: 429, retryAfterSeconds: 3)
            await #expect { try await client.get(Deployment.self, namespace: "default", name: "web") } throws: { error in
                guard case KubeError.tooManyRequests(_, let retryAfter) = error else { return false }
                return retryAfter == .seconds(3) && (error as? KubeError)?.isTransient == true
            }
            await server.failNext(1, code: 500)
            await #expect { try await client.get(Deployment.self, namespace: "default", name: "web") } throws: { error in
                guard case KubeError.serverError = error else { return false }
                return true
            }
            #expect(try await client.get(Deployment.self, namespace: "default", name: "web").metadata.name == "web")
        }
    }

    @Test(arguments: [
        ("status-401-unauthorized.json", "unauthorized"), ("status-404-notfound.json", "forbidden"),
        ("status-409-alreadyexists.json", "alreadyExists"), ("status-409-conflict.json", "conflict"),
        ("status-410-list-expired.json", "expired"), ("status-422-invalid-hpa.json", "invalid"),
    ])
    func capturedStatusBodiesClassify(file: String, expected: String) throws {
        let body = try WireFixtures.data(file)
        let code = Int(try JSONDecoder().decode(Status.self, from: body).code ?? 0)
        let error = KubeError(code: code, body: body)
        #expect(String(describing: error).hasPrefix(try JSONDecoder().decode(Status.self, from: body).message ?? "?"))
        #expect("\(Mirror(reflecting: error).children.first?.label ?? "")" == expected)
        if case .invalid(let status) = error { #expect(status.details?.causes?.count == 2) }
    }

    @Test func nonStatusErrorBodiesAreQuoted() {
        let error = KubeError(code: 502, body: Data("<html>Bad Gateway</html>".utf8))
        #expect(error.description == "HTTP 502: <html>Bad Gateway</html> (HTTP 502)")
        guard case .serverError = error else {
            Issue.record("\(error)")
            return
        }
    }

    @Test func transportErrorsAreWrapped() async throws {
        let client = KubeClient(config: ClientConfig(server: "http://127.0.0.1:9"))
        await #expect { try await client.get(Deployment.self, namespace: "default", name: "x") } throws: { error in
            guard case KubeError.transport(.connectionRefused(let host, let port, _)) = error else { return false }
            return host == "127.0.0.1" && port == 9
        }
    }
}

@Suite("Events")
struct EventRecorderTests {
    /// A recorder writing to a fresh apiserver double, logging nothing.
    static func recorder(backlog: Int = EventRecorder.defaultBacklog) async throws -> (FakeAPIServer, KubeClient, EventRecorder) {
        let server = try await FakeAPIServer.start()
        let client = KubeClient(config: ClientConfig(server: server.url))
        let quiet = Logger.quiet("events")
        return (server, client, EventRecorder(client: client, instance: "test", logger: quiet, backlog: backlog))
    }

    static func deployment(_ index: Int) -> ObjectReference {
        ObjectReference(apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web-\(index)", uid: "u\(index)")
    }

    /// A full queue makes the next recording wait for room instead of dropping its event (a
    /// dropped warning might never be shown), and nothing recorded is lost.
    @Test func aFullQueueWaitsInsteadOfDropping() async throws {
        let (server, client, recorder) = try await Self.recorder(backlog: 8)
        await server.hang { $0.path.hasSuffix("/events") && $0.method == "POST" }
        for index in 0..<8 { await recorder.record(.warning, reason: "HPAConflict", message: "in the way \(index)", on: Self.deployment(index)) }
        let ninth = Task { await recorder.record(.warning, reason: "HPAConflict", message: "in the way 8", on: Self.deployment(8)) }
        // The ninth waits while all eight are queued or hanging in flight.
        #expect(try await server.requests().filter { $0.path.hasSuffix("/events") }.count <= 4)
        await server.stopHanging()
        await ninth.value
        #expect(try await Poll.until { try await client.list(Event.self, namespace: "shop").items.count == 9 })
        await server.stop()
    }

    /// A warning alternating with another event is written once, not on every alternation; a
    /// workload that is gone and comes back starts afresh.
    @Test func eachEventIsWrittenOncePerObject() async throws {
        let (server, client, recorder) = try await Self.recorder()
        let web = ObjectReference(apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web", uid: "u")
        for _ in 0..<3 {
            await recorder.record(.warning, reason: "InvalidHPAAnnotations", message: "maxReplicas: 'ten' is not a whole number", on: web)
            await recorder.record(.normal, reason: "HPAUpdated", message: "Updated HorizontalPodAutoscaler web: spec.maxReplicas", on: web)
        }
        let sent = { try await client.list(Event.self, namespace: "shop").items.map { $0.reason ?? "" }.sorted() }
        #expect(try await Poll.until { try await sent().count >= 2 })
        recorder.forget(kind: "Deployment", namespace: "shop", name: "web")
        await recorder.record(.normal, reason: "HPAUpdated", message: "Updated HorizontalPodAutoscaler web: spec.maxReplicas", on: web)
        #expect(try await Poll.until { try await sent().count >= 3 })
        #expect(try await sent() == ["HPAUpdated", "HPAUpdated", "InvalidHPAAnnotations"])
        await server.stop()
    }

    /// Recording does not wait for the apiserver: with every Event POST hanging, a reconcile's
    /// record returns at once, and the events are written when the apiserver answers again.
    @Test func recordingDoesNotWaitForTheAPIServer() async throws {
        let (server, client, recorder) = try await Self.recorder()
        await server.hang { $0.path.hasSuffix("/events") && $0.method == "POST" }
        for index in 0..<20 {
            // Would hang on the first record if it waited for its POST.
            await recorder.record(
                .normal, reason: "HPACreated", message: "Created HorizontalPodAutoscaler web-\(index)",
                on: ObjectReference(apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web-\(index)", uid: "u\(index)"))
        }
        #expect(try await client.list(Event.self, namespace: "shop").items.isEmpty)
        await server.stopHanging()
        #expect(try await Poll.until { try await client.list(Event.self, namespace: "shop").items.count == 20 })
        await server.stop()
    }
}
