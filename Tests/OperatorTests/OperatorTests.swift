import Autoscaling
import Foundation
import HTTPTransport
import KubeClient
import KubeModel
import Operator
import TestSupport
import Testing

@Suite("hpa-operator run against the apiserver double")
struct OperatorTests {
    @Test(arguments: MetricStyle.allCases, Harness.releases)
    func annotatedDeploymentGetsExactlyTheSpecifiedHPA(style: MetricStyle, release: FakeAPIServer.Release) async throws {
        let harness = try await Harness.start(release: release)
        let (_, running) = await harness.startOperator(style: style)
        let created = try await harness.client.create(Harness.deployment("web"))
        try await harness.eventually("the HPA") { await harness.hpa("web") != nil }
        let live = try #require(await harness.hpa("web"))
        let expected = HPABuilder.build(
            try #require({ if case .valid(let spec, _) = AnnotationParser.parse(Harness.annotations) { spec } else { nil } }()),
            for: WorkloadReference(created), style: style)
        #expect(HPAComparison.differences(desired: expected, live: live, fieldManager: "hpa-operator") == [])
        #expect(live.metadata.labels?["app.kubernetes.io/managed-by"] == "hpa-operator")
        #expect(live.metadata.ownerReferences == [OwnerReference(apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: created.metadata.uid!, controller: true, blockOwnerDeletion: true)])
        #expect(live.metadata.annotations == expected.metadata.annotations)
        // In any order: the v1.26 apiserver stores a cpu Utilization metric last.
        #expect(live.spec.metrics?.map(\.type.rawValue).sorted() == expected.spec.metrics?.map(\.type.rawValue).sorted())
        let writes = await harness.hpaWrites()
        // Created by POST: one write, which could not have taken over an HPA the cache missed.
        #expect(writes.count == 1 && writes.first?.method == "POST")
        try await harness.eventually("the HPACreated event") { try await harness.events("web").map(\.reason) == ["HPACreated"] }
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    @Test(arguments: Harness.releases)
    func editsUpdateAndRemovalDeletes(release: FakeAPIServer.Release) async throws {
        let harness = try await Harness.start(release: release)
        let (_, running) = await harness.startOperator()
        _ = try await harness.client.create(Harness.deployment("web"))
        try await harness.eventually("the HPA") { await harness.hpa("web") != nil }

        var workload = try await harness.client.get(Deployment.self, namespace: "shop", name: "web")
        workload.metadata.annotations?["hpa.autoscaling.banzaicloud.io/maxReplicas"] = "25"
        _ = try await harness.client.update(workload)
        try await harness.eventually("maxReplicas 25") { await harness.hpa("web")?.spec.maxReplicas == 25 }
        try await harness.eventually("the HPAUpdated event") {
            try await harness.events("web").contains { $0.reason == "HPAUpdated" && $0.message == "Updated HorizontalPodAutoscaler web: spec.maxReplicas" }
        }

        workload = try await harness.client.get(Deployment.self, namespace: "shop", name: "web")
        workload.metadata.annotations = ["deployment.kubernetes.io/revision": "2"]
        _ = try await harness.client.update(workload)
        try await harness.eventually("the HPA to go") { await harness.hpa("web") == nil }
        try await harness.eventually("the HPADeleted event") { try await harness.events("web").contains { $0.reason == "HPADeleted" } }
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    /// Pause, unpause and pause again on the double (both releases): the HPA stays and is held
    /// both ways, then restored as the annotations say; each change is an event, the second
    /// pause too.
    @Test(arguments: Harness.releases)
    func pauseHoldsTheHPAAndUnpauseRestoresIt(release: FakeAPIServer.Release) async throws {
        let harness = try await Harness.start(release: release)
        let (_, running) = await harness.startOperator()
        _ = try await harness.client.create(Harness.deployment("web"))
        try await harness.eventually("the HPA") { await harness.hpa("web") != nil }
        let uid = await harness.hpa("web")?.metadata.uid
        func pause(_ value: String?) async throws {
            var workload = try await harness.client.get(Deployment.self, namespace: "shop", name: "web")
            workload.metadata.annotations?["hpa.autoscaling.banzaicloud.io/paused"] = value
            _ = try await harness.client.update(workload)
        }
        func held() async -> Bool {
            guard let hpa = await harness.hpa("web") else { return false }
            return hpa.spec.behavior?.scaleUp?.selectPolicy == "Disabled" && hpa.spec.behavior?.scaleDown?.selectPolicy == "Disabled"
        }
        func count(_ reason: String) async throws -> Int { try await harness.events("web").filter { $0.reason == reason }.count }
        try await pause("true")
        try await harness.eventually("the HPA held") { await held() }
        try await harness.eventually("AutoscalingPaused") { try await count("AutoscalingPaused") == 1 }
        try await pause(nil)
        try await harness.eventually("the HPA scaling again") { await !held() }
        // The apply drops our selectPolicy; the rest of behavior was the apiserver's defaults,
        // which stay: the controller's own behavior without one.
        let defaults = HorizontalPodAutoscalerBehavior(scaleUp: HorizontalPodAutoscalerSpec.defaultScaleUp, scaleDown: HorizontalPodAutoscalerSpec.defaultScaleDown)
        let resumed = await harness.hpa("web")
        #expect(resumed?.spec.behavior == nil || resumed?.spec.defaulted.behavior == defaults, "\(String(describing: resumed?.spec.behavior))")
        try await harness.eventually("AutoscalingResumed") { try await count("AutoscalingResumed") == 1 }
        try await pause("true")
        try await harness.eventually("AutoscalingPaused again") { try await count("AutoscalingPaused") == 2 }
        #expect(await harness.hpa("web")?.metadata.uid == uid, "the HPA is held, not recreated")
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    /// What a POST created, a merge patch removes (an apply could not: the POST's Update entry owns
    /// it): an annotation taken away goes from the HPA, in one write.
    @Test(arguments: Harness.releases)
    func anAnnotationRemovedAfterCreationGoesFromTheHPA(release: FakeAPIServer.Release) async throws {
        let harness = try await Harness.start(release: release)
        let (_, running) = await harness.startOperator()
        var annotations = Harness.annotations
        annotations["prometheus.rps.hpa.autoscaling.banzaicloud.io/interval"] = "1m"
        _ = try await harness.client.create(Harness.deployment("web", annotations: annotations))
        let interval = "metric-config.object.rps.prometheus/interval"
        try await harness.eventually("the HPA with the interval") { await harness.hpa("web")?.metadata.annotations?[interval] == "1m" }
        var workload = try await harness.client.get(Deployment.self, namespace: "shop", name: "web")
        workload.metadata.annotations?["prometheus.rps.hpa.autoscaling.banzaicloud.io/interval"] = nil
        _ = try await harness.client.update(workload)
        try await harness.eventually("the interval annotation to go") { await harness.hpa("web").map { $0.metadata.annotations?[interval] == nil } ?? false }
        let writes = await harness.hpaWrites().map { "\($0.method) \($0.contentType ?? "")" }
        #expect(writes == ["POST application/json", "PATCH application/merge-patch+json"])
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    /// A `behavior` tolerance is written only where the apiserver keeps it (the
    /// HPAConfigurableTolerance gate, off by default in 1.33): the create's answer shows it
    /// dropped, and from then on it is left out with a warning, so the HPA's echo writes nothing
    /// again. No request is made to find out.
    @Test(arguments: [false, true])
    func aToleranceIsWrittenOnlyWhereTheApiserverKeepsIt(gate: Bool) async throws {
        let harness = try await Harness.start(configurableTolerance: gate)
        let (instance, running) = await harness.startOperator()
        var annotations = Harness.annotations
        annotations["hpa.autoscaling.banzaicloud.io/behavior"] = "scaleUp: {tolerance: 0.05}"
        _ = try await harness.client.create(Harness.deployment("web", annotations: annotations))
        try await harness.eventually("the HPA") { await harness.hpa("web") != nil }
        // The create, then its echo's reconcile, which finds the HPA as wanted.
        try await harness.eventually("the HPA's echo reconciled") { reconciles(instance) >= 2 }
        let stored = try #require(await harness.hpa("web"))
        #expect(stored.spec.behavior?.scaleUp?.tolerance == (gate ? Quantity(milli: 50) : nil))
        #expect(await harness.hpaWrites().map(\.method) == ["POST"])
        #expect(await harness.server.requests().filter { $0.query["dryRun"] != nil }.isEmpty)
        if gate {
            #expect(try await harness.events("web").filter { $0.type == "Warning" }.isEmpty)
        } else {
            try await harness.eventually("the warning") {
                try await harness.events("web").contains { $0.reason == "ToleranceNotKept" && $0.message?.contains("tolerance is not kept by this apiserver") == true }
            }
        }
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    /// `cpu.…/container`: the HPA scales on that container's cpu (ContainerResource), and the
    /// container is looked for in the pod template even though the cache keeps little of it.
    @Test func aContainerResourceMetricIsWrittenForANamedContainer() async throws {
        let harness = try await Harness.start()
        let (instance, running) = await harness.startOperator()
        var workload = Harness.deployment("web", annotations: Harness.annotations.merging(["cpu.hpa.autoscaling.banzaicloud.io/container": "app"]) { $1 })
        workload.spec?.template?.spec = PodSpec(containers: [Container(name: "app"), Container(name: "istio-proxy")])
        _ = try await harness.client.create(workload)
        try await harness.eventually("the HPA") { await harness.hpa("web") != nil }
        try await harness.eventually("the HPA's echo reconciled") { reconciles(instance) >= 2 }
        let metrics = try #require(await harness.hpa("web")?.spec.metrics)
        #expect(metrics.contains(MetricSpec(containerResource: ContainerResourceMetricSource(name: "cpu", container: "app", target: .utilization(70)))))
        #expect(!metrics.contains { $0.type == .resource })
        #expect(await harness.hpaWrites().map(\.method) == ["POST"])
        // Renamed away: refused, and the HPA stays as it was.
        var renamed = try await harness.client.get(Deployment.self, namespace: "shop", name: "web")
        renamed.spec?.template?.spec = PodSpec(containers: [Container(name: "main")])
        _ = try await harness.client.update(renamed)
        try await harness.eventually("the warning") {
            try await harness.events("web").contains { $0.message?.contains("names container 'app', which the pod template does not have (its containers: main)") == true }
        }
        #expect(await harness.hpa("web")?.spec.metrics == metrics)
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    /// `scaleToZero: native` writes the HPA with minReplicas 0 where the apiserver has the
    /// HPAScaleToZero gate; without it the apiserver's refusal reaches the workload with what to do.
    @Test(arguments: [false, true])
    func nativeScaleToZeroWritesMinReplicasZeroWhereAllowed(gate: Bool) async throws {
        let harness = try await Harness.start(scaleToZero: gate)
        let (_, running) = await harness.startOperator()
        var annotations = Harness.annotations
        annotations["hpa.autoscaling.banzaicloud.io/minReplicas"] = "0"
        annotations["hpa.autoscaling.banzaicloud.io/scaleToZero"] = "native"
        _ = try await harness.client.create(Harness.deployment("web", annotations: annotations))
        if gate {
            try await harness.eventually("the HPA") { await harness.hpa("web") != nil }
            #expect(await harness.hpa("web")?.spec.minReplicas == 0)
        } else {
            try await harness.eventually("the refusal") {
                try await harness.events("web").contains {
                    $0.reason == "HPARejected" && $0.message?.contains("must be greater than or equal to 1") == true
                        && $0.message?.contains("needs Kubernetes' HPAScaleToZero feature gate") == true
                }
            }
            #expect(await harness.hpa("web") == nil)
        }
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    @Test func statusChurnCausesNoWrites() async throws {
        let harness = try await Harness.start()
        let (instance, running) = await harness.startOperator()
        for index in 0..<100 { _ = try await harness.client.create(Harness.deployment("web-\(index)")) }
        try await harness.eventually("100 HPAs") { await harness.server.count(group: "autoscaling", plural: "horizontalpodautoscalers") == 100 }
        // A sentinel edit: once its write is seen, the creations' echoes queued before it are done.
        var sentinel = try await harness.client.get(Deployment.self, namespace: "shop", name: "web-99")
        sentinel.metadata.annotations?["hpa.autoscaling.banzaicloud.io/maxReplicas"] = "11"
        await harness.server.clearRequests()
        _ = try await harness.client.update(sentinel)
        try await harness.eventually("the sentinel's write") { await !harness.hpaWrites().isEmpty }
        let reconcilesBefore = reconciles(instance)
        await harness.server.clearRequests()
        for round in 0..<3 {
            for index in 0..<100 {
                var workload = try await harness.client.get(Deployment.self, namespace: "shop", name: "web-\(index)")
                workload.status = WorkloadStatus(replicas: Int32(round + 2))
                _ = try await harness.client.updateStatus(workload)
            }
        }
        // One real edit after the churn, in the same watch stream: once its write is seen, every
        // status event before it has reached the operator too.
        var edited = try await harness.client.get(Deployment.self, namespace: "shop", name: "web-0")
        edited.metadata.annotations?["hpa.autoscaling.banzaicloud.io/maxReplicas"] = "9"
        _ = try await harness.client.update(edited)
        try await harness.eventually("the edit's write") { await !harness.hpaWrites().isEmpty }
        let reconcilesAfter = reconciles(instance)
        #expect(await harness.hpaWrites().map(\.path).allSatisfy { $0.hasSuffix("/horizontalpodautoscalers/web-0") })
        // Status-only updates change nothing the operator caches, so they cause no reconcile at
        // all: only the edit's and the HPAs' echoes ran, not one per status update (300).
        #expect(reconcilesAfter - reconcilesBefore <= 4, "\(reconcilesAfter - reconcilesBefore) reconciles")
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    @Test func foreignHPAIsLeftAloneWithAConflictEvent() async throws {
        let harness = try await Harness.start()
        let foreign = try await harness.client.create(
            HorizontalPodAutoscaler(
                metadata: ObjectMeta(name: "web", namespace: "shop"),
                spec: HorizontalPodAutoscalerSpec(scaleTargetRef: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "web"), minReplicas: 3, maxReplicas: 4)))
        let (instance, running) = await harness.startOperator()
        _ = try await harness.client.create(Harness.deployment("web"))
        try await harness.eventually("the HPAConflict event") { try await harness.events("web").map(\.reason) == ["HPAConflict"] }
        #expect(await harness.hpa("web")?.metadata.resourceVersion == foreign.metadata.resourceVersion)
        #expect(await harness.hpaWrites().filter { $0.method != "POST" }.isEmpty)
        // Removing our annotations does not delete someone else's HPA.
        var workload = try await harness.client.get(Deployment.self, namespace: "shop", name: "web")
        workload.metadata.annotations = nil
        let reconciled = reconciles(instance)
        _ = try await harness.client.update(workload)
        try await harness.eventually("the operator to reconcile the change") { reconciles(instance) > reconciled }
        #expect(await harness.hpa("web") != nil)
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    @Test func invalidAnnotationsWarnOnceAndKeepThePriorHPA() async throws {
        let harness = try await Harness.start()
        let (instance, running) = await harness.startOperator()
        _ = try await harness.client.create(Harness.deployment("web"))
        try await harness.eventually("the HPA") { await harness.hpa("web") != nil }
        let before = try #require(await harness.hpa("web"))
        var workload = try await harness.client.get(Deployment.self, namespace: "shop", name: "web")
        workload.metadata.annotations?["hpa.autoscaling.banzaicloud.io/minReplicas"] = "50"
        _ = try await harness.client.update(workload)
        try await harness.eventually("the warning") {
            try await harness.events("web").contains {
                $0.type == "Warning" && $0.reason == "InvalidHPAAnnotations" && $0.message == "hpa.autoscaling.banzaicloud.io/maxReplicas: must be at least minReplicas (50), got 10"
            }
        }
        // Status churn on the invalid workload does not repeat the event.
        for replicas in 3...6 {
            workload = try await harness.client.get(Deployment.self, namespace: "shop", name: "web")
            workload.status = WorkloadStatus(replicas: Int32(replicas))
            _ = try await harness.client.updateStatus(workload)
        }
        // A reconcile of the same invalid state (a label on the HPA queues its workload) does not
        // repeat the event either, and leaves the HPA as it was.
        let reconciled = reconciles(instance)
        try await harness.editHPA("web", #"{"metadata":{"labels":{"touched":"yes"}}}"#)
        try await harness.eventually("the operator to reconcile again") { reconciles(instance) > reconciled }
        #expect(try await harness.events("web").filter { $0.reason == "InvalidHPAAnnotations" }.count == 1)
        #expect(await harness.hpa("web")?.spec == before.spec)
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    @Test func statefulSetWithTemplateAnnotations() async throws {
        let harness = try await Harness.start()
        let (_, running) = await harness.startOperator()
        _ = try await harness.client.create(
            StatefulSet(
                metadata: ObjectMeta(name: "db", namespace: "shop", annotations: ["prometheus.io/scrape": "true"]),
                spec: WorkloadSpec(replicas: 1, template: PodTemplate(metadata: ObjectMeta(annotations: Harness.annotations)))))
        try await harness.eventually("the HPA") { await harness.hpa("db") != nil }
        let hpa = try #require(await harness.hpa("db"))
        #expect(hpa.spec.scaleTargetRef == CrossVersionObjectReference(apiVersion: "apps/v1", kind: "StatefulSet", name: "db"))
        #expect(hpa.metadata.ownerReferences?.first?.kind == "StatefulSet")
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    @Test(arguments: Harness.releases)
    func manualEditsAreRevertedAndDeletedHPAsRecreated(release: FakeAPIServer.Release) async throws {
        let harness = try await Harness.start(release: release)
        let (_, running) = await harness.startOperator()
        _ = try await harness.client.create(Harness.deployment("web"))
        try await harness.eventually("the HPA") { await harness.hpa("web") != nil }
        try await harness.editHPA("web", #"{"spec":{"maxReplicas":99}}"#)
        try await harness.eventually("the edit reverted") { await harness.hpa("web")?.spec.maxReplicas == 10 }
        try await harness.client.delete(HorizontalPodAutoscaler.self, namespace: "shop", name: "web")
        try await harness.eventually("the HPA recreated") { await harness.hpa("web") != nil }
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    @Test func injectedFailuresAreRetriedUntilConverged() async throws {
        let harness = try await Harness.start()
        let (_, running) = await harness.startOperator()
        try await harness.eventually("sync") { await harness.server.openWatches >= 3 }
        let isWrite: @Sendable (RecordedRequest) -> Bool = { ["POST", "PATCH"].contains($0.method) && $0.path.contains("horizontalpodautoscalers") }
        await harness.server.failNext(2, code: 500, where: isWrite)
        await harness.server.failNext(1, code: 429, retryAfterSeconds: 0, where: isWrite)
        await harness.server.failNext(1, code: 409, where: isWrite)
        _ = try await harness.client.create(Harness.deployment("web"))
        try await harness.eventually("the HPA despite failures") { await harness.hpa("web") != nil }
        #expect(await harness.hpaWrites().count == 5)
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    @Test func droppedWatchesAndExpiryStillConverge() async throws {
        let harness = try await Harness.start()
        await harness.server.dropWatches(afterEvents: 7)
        let (_, running) = await harness.startOperator()
        for index in 0..<30 { _ = try await harness.client.create(Harness.deployment("web-\(index)")) }
        await harness.server.expireNextWatches(3)
        for index in 30..<40 { _ = try await harness.client.create(Harness.deployment("web-\(index)")) }
        try await harness.eventually("40 HPAs", timeout: .seconds(20)) { await harness.server.count(group: "autoscaling", plural: "horizontalpodautoscalers") == 40 }
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    /// A request head half-sent to the health and metrics port is not held forever: the port
    /// closes a connection with no complete request part within its idle timeout.
    @Test func aHalfSentRequestIsClosed() async throws {
        let harness = try await Harness.start()
        let (instance, running) = await harness.startOperator(metricsIdleTimeout: .seconds(1))
        try await harness.eventually("the metrics port") { instance.metricsPort != nil }
        #expect(try await HalfSentRequest.isClosed(port: try #require(instance.metricsPort)))
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    @Test func readinessWaitsForSyncAndMetricsAreServed() async throws {
        let harness = try await Harness.start()
        await harness.server.failNext(40, code: 500, where: { $0.path.hasSuffix("/statefulsets") && !$0.isWatch })
        let (instance, running) = await harness.startOperator(healthProbeBindAddress: "127.0.0.1:0")
        try await harness.eventually("the metrics port") { instance.metricsPort != nil && instance.probePort != nil }
        let http = HTTPClient()
        let base = "http://127.0.0.1:\(instance.metricsPort!)"
        // The probes-only port (--health-probe-bind-address) answers as the metrics port does, /metrics not.
        let probes = "http://127.0.0.1:\(instance.probePort!)"
        #expect(try await http.send(HTTPRequest(url: base + "/readyz")).status == 503)
        #expect(try await http.send(HTTPRequest(url: probes + "/readyz")).status == 503)
        #expect(try await http.send(HTTPRequest(url: base + "/healthz")).status == 200)
        #expect(try await http.send(HTTPRequest(url: probes + "/livez")).status == 200)
        #expect(try await http.send(HTTPRequest(url: probes + "/metrics")).status == 404)
        try await harness.eventually("ready") { try await http.send(HTTPRequest(url: base + "/readyz")).status == 200 }
        #expect(try await http.send(HTTPRequest(url: probes + "/readyz")).status == 200)
        _ = try await harness.client.create(Harness.deployment("web"))
        // The HPA is stored before the operator counts its write: wait for the count.
        try await harness.eventually("the HPA's create counted") {
            try await http.send(HTTPRequest(url: base + "/metrics")).bodyText.contains("hpa_operator_hpa_writes_total{verb=\"create\"} 1")
        }
        let text = try await http.send(HTTPRequest(url: base + "/metrics")).bodyText
        for name in [
            "hpa_operator_reconcile_total{result=\"success\"}", "hpa_operator_reconcile_duration_seconds_bucket", "hpa_operator_hpa_writes_total{verb=\"create\"} 1",
            "hpa_operator_workqueue_depth", "hpa_operator_informer_relists_total{resource=\"statefulsets\"}", "hpa_operator_is_leader 1",
        ] {
            #expect(text.contains(name), "\(name)")
        }
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }
}

/// Successful reconciles so far, read from the operator's own metrics.
func reconciles(_ instance: Manager) -> Int {
    let line = instance.metrics.text().split(separator: "\n").first { $0.hasPrefix("hpa_operator_reconcile_total{result=\"success\"}") }
    return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }.map { Int($0) } ?? 0
}
