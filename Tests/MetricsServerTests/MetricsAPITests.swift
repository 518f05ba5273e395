import Collector
import Foundation
import KubeModel
import Testing

@testable import MetricsServer

@Suite struct MetricsAPITests {
    static let now = Values.collected.addingTimeInterval(10)

    static func get(_ api: MetricsAPI, _ path: String, _ query: [String: String] = [:], now: Date = now) async -> MetricsAPIResponse {
        api.respond(MetricsAPIRequest(path: path, query: query), now: now)
    }

    @Test func everyCapturedRequestGetsTheShapeTheHPAControllerReads() async throws {
        let api = MetricsAPI(store: await Values.store())
        var answered: [String: MetricsAPIResponse] = [:]
        for request in try CapturedRequest.all() {
            let response = api.respond(MetricsAPIRequest(path: request.path, query: request.flatQuery), now: Self.now)
            #expect(response.status == 200, "\(request.path): \(String(decoding: response.body, as: UTF8.self))")
            answered[request.path] = response
        }

        let podStyle = try #require(answered["/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/d-obj-requests_per_second/requests_per_second"])
        #expect(podStyle.json["kind"] as? String == "MetricValueList")
        #expect(podStyle.json["apiVersion"] as? String == "custom.metrics.k8s.io/v1beta2")
        #expect((podStyle.json["metadata"] as? [String: Any])?.isEmpty == true)
        let item = try #require(podStyle.items.first)
        #expect(podStyle.items.count == 1)
        #expect(item["describedObject"] as? [String: String] == ["kind": "Pod", "namespace": "default", "name": "d-obj-requests_per_second", "apiVersion": "v1"])
        #expect(item["metric"] as? [String: String] == ["name": "requests_per_second"])
        #expect(item["timestamp"] as? String == Values.timestamp)
        #expect(item["value"] as? String == "12500m")

        let pods = try #require(answered["/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/%2A/requests_per_second"])
        #expect(pods.items.map { ($0["describedObject"] as? [String: String])?["name"] } == ["d-pods-1", "d-pods-2"])
        #expect(pods.items.map { $0["value"] as? String } == ["2", "3500m"])

        let deployment = try #require(answered["/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/deployments.apps/d-objdep/requests_per_second"])
        let deploymentItem = try #require(deployment.items.first)
        #expect(deploymentItem["describedObject"] as? [String: String] == ["kind": "Deployment", "namespace": "default", "name": "d-objdep", "apiVersion": "apps/v1"])
        let metric = try #require(deploymentItem["metric"] as? [String: Any])
        #expect(metric["name"] as? String == "requests_per_second")
        #expect((metric["selector"] as? [String: Any])?["matchLabels"] as? [String: String] == ["verb": "GET"])
        #expect(deploymentItem["value"] as? String == "9167m")

        let caseKept = try #require(answered["/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/d-case-customMetricName/customMetricName"])
        #expect(caseKept.items.first?["value"] as? String == "1k")

        let queue = try #require(answered["/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth"])
        #expect(queue.json["kind"] as? String == "ExternalMetricValueList")
        #expect(queue.json["apiVersion"] as? String == "external.metrics.k8s.io/v1beta1")
        let external = try #require(queue.items.first)
        #expect(external["metricName"] as? String == "queue_depth")
        #expect(external["metricLabels"] as? [String: String] == ["queue": "orders", "type": "prometheus"])
        #expect(external["timestamp"] as? String == Values.timestamp)
        #expect(external["value"] as? String == "45")

        let banzai = try #require(answered["/apis/external.metrics.k8s.io/v1beta1/namespaces/default/prometheus-query"])
        #expect(banzai.items.first?["metricLabels"] as? [String: String] == ["query-name": "customMetricName"])
        #expect(banzai.items.first?["value"] as? String == "250m")

        let discovery = try #require(answered["/apis/custom.metrics.k8s.io/v1beta2"])
        #expect(discovery.json["kind"] as? String == "APIResourceList")
        #expect(discovery.json["groupVersion"] as? String == "custom.metrics.k8s.io/v1beta2")
        let resources = try #require(discovery.json["resources"] as? [[String: Any]])
        #expect(resources.map { $0["name"] as? String } == ["deployments.apps/requests_per_second", "pods/customMetricName", "pods/requests_per_second"])
        #expect(resources.allSatisfy { $0["kind"] as? String == "MetricValueList" && $0["namespaced"] as? Bool == true && $0["verbs"] as? [String] == ["get"] })
        let externalDiscovery = try #require(answered["/apis/external.metrics.k8s.io/v1beta1"]?.json["resources"] as? [[String: Any]])
        #expect(externalDiscovery.map { $0["name"] as? String } == ["prometheus-query", "queue_depth"])
        #expect(externalDiscovery.allSatisfy { $0["kind"] as? String == "ExternalMetricValueList" })

        let openAPI = try #require(answered["/openapi/v2"])
        #expect(openAPI.json["swagger"] as? String == "2.0")
    }

    @Test func v1beta1ItemsCarryTheFlatMetricNameAndASelector() async throws {
        let api = MetricsAPI(store: await Values.store())
        let plain = await Self.get(api, "/apis/custom.metrics.k8s.io/v1beta1/namespaces/default/pods/d-obj-requests_per_second/requests_per_second")
        #expect(plain.json["apiVersion"] as? String == "custom.metrics.k8s.io/v1beta1")
        let item = try #require(plain.items.first)
        #expect(item["metricName"] as? String == "requests_per_second")
        #expect(item.keys.contains("selector") && item["selector"] is NSNull)
        #expect(item["metric"] == nil)
        let selected = await Self.get(
            api, "/apis/custom.metrics.k8s.io/v1beta1/namespaces/default/deployments.apps/d-objdep/requests_per_second",
            ["metricLabelSelector": "verb=GET"])
        #expect((selected.items.first?["selector"] as? [String: Any])?["matchLabels"] as? [String: String] == ["verb": "GET"])
        // The same resources are discovered in both versions.
        let v1 = await Self.get(api, "/apis/custom.metrics.k8s.io/v1beta1")
        #expect((v1.json["resources"] as? [[String: Any]])?.count == 3)
    }

    @Test func groupDocuments() async throws {
        let api = MetricsAPI(store: MetricStore())
        let groups = await Self.get(api, "/apis")
        #expect(groups.json["kind"] as? String == "APIGroupList")
        let names = (groups.json["groups"] as? [[String: Any]])?.map { $0["name"] as? String }
        #expect(names == ["custom.metrics.k8s.io", "external.metrics.k8s.io"])
        let custom = await Self.get(api, "/apis/custom.metrics.k8s.io")
        #expect(custom.json["kind"] as? String == "APIGroup")
        #expect((custom.json["preferredVersion"] as? [String: String])?["version"] == "v1beta2")
        #expect((custom.json["versions"] as? [[String: String]])?.map { $0["version"] } == ["v1beta2", "v1beta1"])
        // Nothing collected: discovery is empty, not an error.
        let empty = await Self.get(api, "/apis/external.metrics.k8s.io/v1beta1")
        #expect((empty.json["resources"] as? [Any])?.isEmpty == true)
    }

    @Test func errorsAreStatusObjectsThatSayWhy() async throws {
        let store = await Values.store()
        let api = MetricsAPI(store: store)
        await Values.put(
            store,
            .object(
                ObjectMetricKey(
                    namespace: "shop", resource: GroupResource(parsing: "deployments.apps"), name: "web", metric: "rps",
                    kind: "Deployment", apiVersion: "apps/v1")), .failure(.tooManySeries(2)))

        let failing = await Self.get(api, "/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/deployments.apps/web/rps")
        #expect(failing.status == 404)
        #expect(failing.json["kind"] as? String == "Status")
        #expect(failing.json["reason"] as? String == "NotFound")
        #expect(failing.json["code"] as? Int == 404)
        #expect(failing.json["message"] as? String == "rps: query returned 2 series; aggregate with sum() or max()")

        // 100 s after collection, past the 90 s max age.
        let stale = await Self.get(api, "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth", now: Values.collected.addingTimeInterval(100))
        #expect(stale.status == 404)
        #expect(stale.json["message"] as? String == "queue_depth: the last value is 100 s old, older than the metrics max age of 90 s; the collector is not getting fresh results")

        let unknown = await Self.get(api, "/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/deployments.apps/web/latency")
        #expect(unknown.status == 404)
        #expect(unknown.json["message"] as? String == "latency: not collected for deployments.apps shop/web; no HPA's metric-config annotations name it")

        let badSelector = await Self.get(api, "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth", ["labelSelector": "queue in (orders"])
        #expect(badSelector.status == 400)
        #expect(badSelector.json["reason"] as? String == "BadRequest")
        #expect((badSelector.json["message"] as? String)?.hasPrefix("invalid label selector 'queue in (orders'") == true)

        let unmatched = await Self.get(api, "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth", ["labelSelector": "queue=payments"])
        #expect(unmatched.status == 404)

        let post = api.respond(MetricsAPIRequest(method: "POST", path: "/apis/custom.metrics.k8s.io/v1beta2"), now: Self.now)
        #expect(post.status == 405)
        #expect(post.json["reason"] as? String == "MethodNotAllowed")

        #expect(await Self.get(api, "/apis/metrics.k8s.io/v1beta1").status == 404)
        #expect(await Self.get(api, "/apis/custom.metrics.k8s.io/v2").status == 404)
        #expect(await Self.get(api, "/version").status == 404)
    }

    @Test func discoveryFollowsTheStore() async throws {
        let store = MetricStore()
        let api = MetricsAPI(store: store)
        await Values.put(store, Values.queue, .value(Quantity(1)))
        var names = (await Self.get(api, "/apis/external.metrics.k8s.io/v1beta1").json["resources"] as? [[String: Any]])?.map { $0["name"] as? String }
        #expect(names == ["queue_depth"])
        store.remove(Values.queue)
        names = (await Self.get(api, "/apis/external.metrics.k8s.io/v1beta1").json["resources"] as? [[String: Any]])?.map { $0["name"] as? String }
        #expect(names == [])
    }

    /// Two workloads in a namespace with a pods metric of one name: each HPA reads its own
    /// workload's pods (by the pod selector it sends), never both, nor the other's.
    @Test func podsMetricsAreServedPerWorkloadBySelector() async throws {
        let store = MetricStore()
        let time = Values.collected
        for (target, selector, pods) in [("Deployment/web", "app=web", ["web-1": 10]), ("Deployment/api", "app=api,tier=backend", ["api-1": 90, "api-2": 80])] {
            let key = MetricKey.pods(PodsMetricKey(namespace: "shop", metric: "rps", target: target))
            store.expect(key, source: "q-\(target)", maxAge: .seconds(90), now: time)
            store.record(key, .success(.pods(pods.mapValues { Quantity(Int64($0)) })), source: "q-\(target)", at: time, podSelector: try Selector(parsing: selector))
        }
        let api = MetricsAPI(store: store)
        let path = "/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/pods/%2A/rps"
        let web = await Self.get(api, path, ["labelSelector": "app=web"])
        #expect(web.items.compactMap { ($0["describedObject"] as? [String: Any])?["name"] as? String } == ["web-1"])
        // The same selector written in another order.
        let api2 = await Self.get(api, path, ["labelSelector": "tier=backend,app=api"])
        #expect(api2.items.compactMap { ($0["describedObject"] as? [String: Any])?["name"] as? String } == ["api-1", "api-2"])
        let neither = await Self.get(api, path, ["labelSelector": "app=other"])
        #expect(neither.status == 404)
        #expect((neither.json["message"] as? String)?.contains("not for the pods matching app=other") == true)
    }
}
