import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

extension RealCluster {
    /// Scenarios 5, 6 and 11: what the operator writes, and what it must leave alone.
    @Suite("HPA lifecycle") struct Lifecycle {
        /// Scenario 5: an annotation edit updates the HPA with one write; label and status churn on
        /// the Deployment cause none (counted by the apiserver's audit log and by the operator).
        @Test(.needsControllers) func editsWriteOnceAndChurnWritesNothing() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator()
            let namespace = "churn"
            try await cluster.makeScenario(namespace)
            try await cluster.createWorkload(namespace: namespace, name: "web", annotations: Cluster.annotations(scenario: namespace))
            try await cluster.eventually("the HPA") { try await cluster.hpa(namespace, "web") != nil }
            let process = try cluster.operatorProcess("operator-a")
            // Let the HPA controller's first status writes and our echo reconciles settle: the
            // HPA's status appears once the controller has read the metric.
            try await cluster.eventually("the HPA controller's status") { try await cluster.hpa(namespace, "web")?.status?.currentMetrics?.isEmpty == false }
            let auditedBefore = cluster.operatorWrites(namespace: namespace).count
            let countedBefore = try #require(await process.sample("hpa_operator_hpa_writes_total"))

            for round in 0..<20 {
                try await cluster.patchWorkload(namespace: namespace, name: "web", annotations: ["example.com/build": "\(round)"], labels: ["churn": "\(round)"])
            }
            for round in 0..<10 {
                try await cluster.send(
                    "PATCH", "/apis/apps/v1/namespaces/\(namespace)/deployments/web/status",
                    ["status": ["observedGeneration": 1000 + round]], contentType: "application/merge-patch+json")
            }
            // One real edit after the churn, on the same watch: once it is written, every event
            // before it has been handled too.
            try await cluster.patchWorkload(namespace: namespace, name: "web", annotations: ["\(Cluster.domain)/maxReplicas": "12"])
            try await cluster.eventually("maxReplicas 12") { try await cluster.hpa(namespace, "web")?.spec.maxReplicas == 12 }
            try await cluster.eventually("the edit's audited write") { cluster.operatorWrites(namespace: namespace).count > auditedBefore }
            #expect(cluster.operatorWrites(namespace: namespace).count == auditedBefore + 1, "\(cluster.operatorWrites(namespace: namespace))")
            #expect(await process.sample("hpa_operator_hpa_writes_total") == countedBefore + 1)
            try await cluster.eventually("the HPAUpdated event") {
                try await cluster.events(namespace, about: "web").contains { $0.reason == "HPAUpdated" && $0.message?.contains("spec.maxReplicas") == true }
            }
        }

        /// What a POST created, a merge patch removes (carrying spec.metrics, as 1.26 wants for an
        /// AverageValue target): an annotation taken away goes from the HPA, in one write.
        @Test func anAnnotationRemovedAfterCreationGoesFromTheHPA() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator()
            let namespace = "removal"
            try await cluster.makeScenario(namespace)
            try await cluster.createWorkload(namespace: namespace, name: "web", annotations: Cluster.annotations(scenario: namespace))
            let interval = "metric-config.object.rps.prometheus/interval"
            try await cluster.eventually("the HPA with its interval") { try await cluster.hpa(namespace, "web")?.metadata.annotations?[interval] == "1s" }
            try await cluster.patchWorkload(namespace: namespace, name: "web", annotations: ["prometheus.rps.\(Cluster.domain)/interval": NSNull()])
            try await cluster.eventually("the interval annotation to go") {
                try await cluster.hpa(namespace, "web").map { $0.metadata.annotations?[interval] == nil } ?? false
            }
            #expect(cluster.operatorWrites(namespace: namespace).map(\.verb) == ["create", "patch"])
        }

        /// Scenario 6: a foreign HPA of the workload's name is left alone (HPAConflict); invalid
        /// annotations give InvalidHPAAnnotations and no HPA; removing the annotations deletes the
        /// HPA; deleting the Deployment garbage-collects it.
        @Test(.needsControllers) func ownershipInvalidRemovalAndGarbageCollection() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator()
            let namespace = "owners"
            try await cluster.makeScenario(namespace)

            let foreign = try await cluster.send(
                "POST", "/apis/autoscaling/v2/namespaces/\(namespace)/horizontalpodautoscalers",
                [
                    "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": ["name": "shop"],
                    "spec": [
                        "scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "shop"], "minReplicas": 1, "maxReplicas": 3,
                        "metrics": [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 50]]]],
                    ],
                ] as [String: Any])
            let foreignVersion = (foreign["metadata"] as? [String: Any])?["resourceVersion"] as? String
            try await cluster.createWorkload(namespace: namespace, name: "shop", annotations: Cluster.annotations(scenario: namespace))
            try await cluster.eventually("HPAConflict") { try await cluster.events(namespace, about: "shop").contains { $0.reason == "HPAConflict" && $0.type == "Warning" } }
            let untouched = try #require(try await cluster.hpa(namespace, "shop"))
            #expect(untouched.spec.maxReplicas == 3)
            #expect(untouched.metadata.ownerReferences == nil)
            #expect(cluster.operatorWrites(namespace: namespace).filter { $0.name == "shop" }.isEmpty)
            // The HPA controller may have written its status since; the spec is the user's.
            _ = foreignVersion

            var broken = Cluster.annotations(scenario: namespace)
            broken["\(Cluster.domain)/maxReplicas"] = "ten"
            broken["prometheus.rps.\(Cluster.domain)/targetAverageValue"] = "40x"
            try await cluster.createWorkload(namespace: namespace, name: "broken", annotations: broken)
            try await cluster.eventually("InvalidHPAAnnotations") {
                try await cluster.events(namespace, about: "broken").contains { $0.reason == "InvalidHPAAnnotations" }
            }
            let invalid = try #require(try await cluster.events(namespace, about: "broken").first { $0.reason == "InvalidHPAAnnotations" })
            #expect(invalid.message?.contains("maxReplicas") == true && invalid.message?.contains("'40x' is not a quantity") == true, "\(invalid.message ?? "")")
            #expect(try await cluster.hpa(namespace, "broken") == nil)

            try await cluster.createWorkload(namespace: namespace, name: "removed", annotations: Cluster.annotations(scenario: namespace))
            try await cluster.eventually("the HPA of removed") { try await cluster.hpa(namespace, "removed") != nil }
            let removal = Dictionary(uniqueKeysWithValues: Cluster.annotations(scenario: namespace).keys.map { ($0, NSNull() as Any) })
            try await cluster.patchWorkload(namespace: namespace, name: "removed", annotations: removal)
            try await cluster.eventually("the HPA of removed to be deleted") { try await cluster.hpa(namespace, "removed") == nil }
            try await cluster.eventually("HPADeleted") { try await cluster.events(namespace, about: "removed").contains { $0.reason == "HPADeleted" } }

            try await cluster.createWorkload(namespace: namespace, name: "deleted", annotations: Cluster.annotations(scenario: namespace))
            try await cluster.eventually("the HPA of deleted") { try await cluster.hpa(namespace, "deleted") != nil }
            try await cluster.deleteWorkload(namespace: namespace, name: "deleted")
            try await cluster.eventually("the garbage collector to delete the HPA") { try await cluster.hpa(namespace, "deleted") == nil }
            #expect(
                cluster.operatorWrites(namespace: namespace).filter { $0.name == "deleted" && $0.verb == "delete" }.isEmpty,
                "the garbage collector deletes the HPA, not the operator")
        }

        /// Scenario 11: a StatefulSet annotated on its pod template gets its HPA and is scaled.
        @Test(.needsControllers) func aStatefulSetWithTemplateAnnotationsIsScaled() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator()
            let namespace = "stateful"
            try await cluster.makeScenario(namespace)
            try await cluster.createWorkload("StatefulSet", namespace: namespace, name: "db", templateAnnotations: Cluster.annotations(scenario: namespace))
            try await cluster.eventually("the StatefulSet's HPA") { try await cluster.hpa(namespace, "db")?.spec.scaleTargetRef.kind == "StatefulSet" }
            cluster.export(scenario: namespace, 30)
            try await cluster.eventually("db to scale to 3") { try await cluster.replicas("StatefulSet", namespace: namespace, name: "db") == 3 }
        }
    }
}
