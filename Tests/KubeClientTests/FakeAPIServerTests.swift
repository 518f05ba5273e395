import Foundation
import HTTPTransport
import KubeModel
import TestSupport
import Testing

/// The double must answer as the captured apiserver did, not as the client expects.
@Suite("Apiserver double speaks the captured wire format")
struct FakeAPIServerTests {
    let http = HTTPClient()

    func send(_ server: FakeAPIServer, _ method: String, _ path: String, _ body: String? = nil, contentType: String = "application/json") async throws -> (Int, JSONValue) {
        let response = try await http.send(HTTPRequest(method: method, url: server.url + path, headers: body == nil ? [] : [("Content-Type", contentType)], body: body.map { Data($0.utf8) }))
        return (response.status, try json(response.body))
    }

    @Test func errorBodiesHaveTheCapturedShape() async throws {
        let server = try await FakeAPIServer.start()
        defer { Task { await server.stop() } }
        let hpa =
            #"{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"d-obj"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"d-obj"},"maxReplicas":3}}"#
        let (created, object) = try await send(server, "POST", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", hpa)
        #expect(created == 201)
        #expect(object["metadata"]?["uid"] != nil && object["metadata"]?["resourceVersion"] != nil && object["metadata"]?["creationTimestamp"] != nil)
        #expect(object["status"] == .object(["currentMetrics": .null, "desiredReplicas": .integer(0)]))

        let (code, exists) = try await send(server, "POST", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", hpa)
        #expect(code == 409)
        #expect(exists == (try json(WireFixtures.data("status-409-alreadyexists.json"))))

        _ = try await send(server, "POST", "/apis/apps/v1/namespaces/default/deployments", #"{"metadata":{"name":"d-obj"},"spec":{"replicas":1}}"#)
        let (_, current) = try await send(server, "GET", "/apis/apps/v1/namespaces/default/deployments/d-obj")
        var staleDeployment = current
        staleDeployment["metadata"]?["resourceVersion"] = .string("1")
        let (conflictCode, conflict) = try await send(server, "PUT", "/apis/apps/v1/namespaces/default/deployments/d-obj", String(decoding: try JSONEncoder().encode(staleDeployment), as: UTF8.self))
        #expect(conflictCode == 409)
        #expect(conflict == (try json(WireFixtures.data("status-409-conflict.json"))))

        let (missingCode, missing) = try await send(server, "GET", "/apis/apps/v1/namespaces/default/deployments/nope")
        #expect(missingCode == 404)
        #expect(missing["message"] == .string(#"deployments.apps "nope" not found"#))
        #expect(keys(missing) == keys(try json(WireFixtures.data("status-404-notfound.json"))))
    }

    @Test func listsWatchesAndBookmarksLookLikeTheCapture() async throws {
        let server = try await FakeAPIServer.start(FakeAPIServer.Options(bookmarkInterval: .milliseconds(100)))
        defer { Task { await server.stop() } }
        for name in ["b", "a"] {
            _ = try await send(
                server, "POST", "/apis/apps/v1/namespaces/default/deployments",
                #"{"metadata":{"name":"\#(name)","labels":{"app":"\#(name)"}},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"\#(name)"}}}}"#)
        }
        let (_, list) = try await send(server, "GET", "/apis/apps/v1/namespaces/default/deployments")
        let captured = try json(WireFixtures.data("deployment-list.json"))
        #expect(keys(list) == keys(captured))
        #expect(list["kind"] == .string("DeploymentList"))
        guard case .array(let items)? = list["items"] else {
            Issue.record("no items")
            return
        }
        #expect(items.map { $0["metadata"]?["name"] } == [.string("a"), .string("b")])
        #expect(items.allSatisfy { $0["kind"] == nil && $0["apiVersion"] == nil })

        // The scale subresource has the captured shape.
        let (_, scale) = try await send(server, "GET", "/apis/apps/v1/namespaces/default/deployments/a/scale")
        let capturedScale = try json(WireFixtures.data("deployment-scale-get.json"))
        #expect(keys(scale) == keys(capturedScale))
        #expect(keys(scale["status"]) == keys(capturedScale["status"]))
        #expect(scale["status"]?["selector"] == .string("app=a"))

        // A watch from an expired version answers exactly the captured ERROR line.
        await server.compact()
        let expired = try await http.send(HTTPRequest(url: server.url + "/apis/apps/v1/deployments?watch=1&resourceVersion=5"))
        #expect(expired.status == 200)
        #expect(try json(expired.body) == (try json(WireFixtures.data("watch-410-expired.jsonl"))))

        // Bookmarks carry only a resourceVersion in a zero-valued object of the watched kind.
        let stream = try await http.stream(HTTPRequest(url: server.url + "/apis/apps/v1/deployments?watch=1&allowWatchBookmarks=true&timeoutSeconds=1", timeout: nil))
        var types: [String] = []
        for try await line in stream.lines {
            let event = try json(line)
            types.append(event["type"]?.stringValue ?? "")
            if event["type"] == .string("BOOKMARK") {
                #expect(event["object"]?["kind"] == .string("Deployment"))
                #expect(keys(event["object"]?["metadata"]) == ["resourceVersion", "creationTimestamp"])
            }
        }
        #expect(Array(types.prefix(2)) == ["ADDED", "ADDED"])
        #expect(types.last == "BOOKMARK")
    }

    @Test func serverSideApplyCreatesUpdatesAndPrunes() async throws {
        let server = try await FakeAPIServer.start()
        defer { Task { await server.stop() } }
        let path = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/ssa?fieldManager=hpa-operator&force=true"
        func apply(_ metrics: String) -> String {
            #"{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"ssa","namespace":"default","labels":{"app.kubernetes.io/managed-by":"hpa-operator"}\#(metrics)},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"ssa"},"minReplicas":1,"maxReplicas":4}}"#
        }
        let (code, created) = try await send(server, "PATCH", path, apply(#","annotations":{"a":"1"}"#), contentType: "application/apply-patch+yaml")
        #expect(code == 200)
        let captured = try json(WireFixtures.data("ssa-apply-response.json"))
        #expect(
            keys(created["metadata"]?["managedFields"].flatMap { if case .array(let a) = $0 { return a.first } else { return nil } })
                == keys(captured["metadata"]?["managedFields"].flatMap { if case .array(let a) = $0 { return a.first } else { return nil } }))
        #expect(created["metadata"]?["annotations"]?["a"] == .string("1"))

        // The same body again changes nothing.
        let (_, again) = try await send(server, "PATCH", path, apply(#","annotations":{"a":"1"}"#), contentType: "application/apply-patch+yaml")
        #expect(again["metadata"]?["resourceVersion"] == created["metadata"]?["resourceVersion"])

        // A field the manager no longer applies is removed.
        let (_, pruned) = try await send(server, "PATCH", path, apply(""), contentType: "application/apply-patch+yaml")
        #expect(pruned["metadata"]?["annotations"] == nil)
        #expect(pruned["metadata"]?["resourceVersion"] != created["metadata"]?["resourceVersion"])

        let (missingManager, status) = try await send(server, "PATCH", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/ssa", apply(""), contentType: "application/apply-patch+yaml")
        #expect(missingManager == 400)
        #expect(status["message"] == .string("PATCH requests with apply content type require fieldManager"))
    }

    @Test func admissionRejectsWithThe422Shape() async throws {
        let options = FakeAPIServer.Options(admit: { resource, object, _ in
            if resource.plural == "horizontalpodautoscalers", case .integer(let max)? = object["spec"]?["maxReplicas"], max < 2 {
                throw FakeAPIServer.Invalid([("spec.maxReplicas", "Invalid value: \(max): must be greater than or equal to `minReplicas`")])
            }
            return object
        })
        let server = try await FakeAPIServer.start(options)
        defer { Task { await server.stop() } }
        let (code, status) = try await send(
            server, "POST", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers",
            #"{"metadata":{"name":"bad"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"x"},"maxReplicas":1}}"#)
        #expect(code == 422)
        let captured = try json(WireFixtures.data("status-422-invalid-hpa.json"))
        #expect(keys(status) == keys(captured))
        #expect(keys(status["details"]) == keys(captured["details"]))
        #expect(status["message"]?.stringValue?.hasPrefix(#"HorizontalPodAutoscaler.autoscaling "bad" is invalid: [spec.maxReplicas: "#) == true)
    }

    /// An Object AverageValue HPA stored, merge-patched without `spec.metrics` and applied, as the
    /// captured v1.33.3 apiserver did (Tests/Fixtures/k8s-wire/v1.33), by default; and as v1.26
    /// did with `Release.v1_26` (the `value: "0"`, the cpu metric moved last, the merge patch refused).
    @Test func eachReleaseStoresAnHPAAsCaptured() async throws {
        func managedFields(_ object: JSONValue) -> [JSONValue] {
            guard case .array(let entries)? = object["metadata"]?["managedFields"] else { return [] }
            return entries.map { entry in
                guard case .object(var fields) = entry else { return entry }
                fields["time"] = nil
                return .object(fields)
            }
        }
        let body = String(decoding: try WireFixtures.data("v1.33/hpa.json"), as: UTF8.self)
        let collection = "/apis/autoscaling/v2/namespaces/wire/horizontalpodautoscalers"
        let mergePatch = #"{"metadata":{"annotations":{"metric-config.object.rps.prometheus/interval":null}},"spec":{"maxReplicas":12}}"#

        let current = try await FakeAPIServer.start(FakeAPIServer.Options(admit: FakeAPIServer.kubernetesAdmission))
        defer { Task { await current.stop() } }
        let (created, stored) = try await send(current, "POST", collection + "?fieldManager=hpa-operator", body)
        let post = try json(WireFixtures.data("v1.33/hpa-v2-object-post-response.json"))
        #expect(created == 201)
        #expect(stored["spec"] == post["spec"])
        #expect(managedFields(stored) == managedFields(post))
        let (patched, afterPatch) = try await send(current, "PATCH", collection + "/web?fieldManager=hpa-operator", mergePatch, contentType: "application/merge-patch+json")
        let patchAnswer = try json(WireFixtures.data("v1.33/hpa-v2-object-merge-patch-response.json"))
        #expect(patched == 200)
        #expect(afterPatch["spec"] == patchAnswer["spec"] && afterPatch["metadata"]?["annotations"] == patchAnswer["metadata"]?["annotations"])
        #expect(managedFields(afterPatch) == managedFields(patchAnswer))
        let applied = body.replacingOccurrences(of: #""name": "web", "namespace""#, with: #""name": "web2", "namespace""#)
            .replacingOccurrences(of: #""name":"web","namespace""#, with: #""name":"web2","namespace""#)
        let (appliedCode, afterApply) = try await send(current, "PATCH", collection + "/web2?fieldManager=hpa-operator&force=true", applied, contentType: "application/apply-patch+yaml")
        let applyAnswer = try json(WireFixtures.data("v1.33/hpa-v2-object-apply-response.json"))
        #expect(appliedCode == 201 || appliedCode == 200)
        #expect(afterApply["spec"] == applyAnswer["spec"])
        #expect(managedFields(afterApply) == managedFields(applyAnswer))

        let old = try await FakeAPIServer.start(FakeAPIServer.Options(admit: FakeAPIServer.admission(for: .v1_26)))
        defer { Task { await old.stop() } }
        let (_, oldStored) = try await send(old, "POST", collection + "?fieldManager=hpa-operator", body)
        guard case .array(let metrics)? = oldStored["spec"]?["metrics"] else {
            Issue.record("no metrics stored")
            return
        }
        #expect(metrics.last?["resource"]?["name"] == .string("cpu"))
        #expect(metrics.first?["object"]?["target"]?["value"] == .string("0"))
        let (refused, _) = try await send(old, "PATCH", collection + "/web?fieldManager=hpa-operator", mergePatch, contentType: "application/merge-patch+json")
        #expect(refused == 422)

        #expect(FakeAPIServer.Release(gitVersion: "v1.26.1") == .v1_26)
        #expect(FakeAPIServer.Release(gitVersion: "v1.33.3") == .v1_33)
        #expect(FakeAPIServer.Release(gitVersion: "v1.35.0-alpha.1") == .v1_33)
        #expect(FakeAPIServer.Release(gitVersion: "unknown") == nil)
    }

    /// A dry-run create is admitted and answered as v1.33.3 did (Tests/Fixtures/k8s-wire/v1.33):
    /// without a `behavior` tolerance (the HPAConfigurableTolerance gate off) and without a
    /// resourceVersion; nothing is stored. With the gate on, the tolerance is kept. Stored, the
    /// HPA is defaulted as captured.
    @Test func aDryRunStoresNothingAndDropsAToleranceAsCaptured() async throws {
        var body = try json(WireFixtures.data("v1.33/beh.json"))
        body["spec"]?["behavior"]?["scaleDown"]?["tolerance"] = .string("0.05")
        let text = String(decoding: try JSONEncoder().encode(body), as: UTF8.self)
        let collection = "/apis/autoscaling/v2/namespaces/wire/horizontalpodautoscalers"
        let captured = try json(WireFixtures.data("v1.33/hpa-v2-tolerance-dryrun-strict.json"))
        for gate in [false, true] {
            let server = try await FakeAPIServer.start(FakeAPIServer.Options(admit: FakeAPIServer.admission(for: .v1_33, configurableTolerance: gate)))
            defer { Task { await server.stop() } }
            let (code, answer) = try await send(server, "POST", collection + "?dryRun=All&fieldValidation=Strict", text)
            #expect(code == 201)
            #expect(answer["metadata"]?["resourceVersion"] == nil && answer["metadata"]?["uid"] != nil)
            var expected = captured["spec"]
            if gate { expected?["behavior"]?["scaleDown"]?["tolerance"] = .string("50m") }
            #expect(answer["spec"] == expected)
            #expect(await server.count(group: "autoscaling", plural: "horizontalpodautoscalers") == 0)
        }
        // Stored for real, the same HPA without a tolerance is defaulted as captured.
        let server = try await FakeAPIServer.start(FakeAPIServer.Options(admit: FakeAPIServer.kubernetesAdmission))
        defer { Task { await server.stop() } }
        let (code, stored) = try await send(server, "POST", collection, String(decoding: try WireFixtures.data("v1.33/beh.json"), as: UTF8.self))
        #expect(code == 201)
        #expect(stored["spec"] == (try json(WireFixtures.data("v1.33/hpa-v2-defaulted-behavior.json")))["spec"])
    }
}
