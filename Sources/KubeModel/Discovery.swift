import Foundation

/// meta/v1 `APIResourceList` (discovery of one group/version).
public struct APIResourceList: Codable, Hashable, Sendable {
    public struct Resource: Codable, Hashable, Sendable {
        public var name: String
        public var singularName: String
        public var namespaced: Bool
        public var kind: String
        public var verbs: [String]

        public init(name: String, namespaced: Bool, kind: String, verbs: [String]) {
            self.name = name
            self.singularName = ""
            self.namespaced = namespaced
            self.kind = kind
            self.verbs = verbs
        }
    }

    public var kind = "APIResourceList"
    public var apiVersion = "v1"
    public var groupVersion: String
    public var resources: [Resource]

    public init(groupVersion: String, resources: [Resource]) {
        self.groupVersion = groupVersion
        self.resources = resources
    }
}

/// meta/v1 `APIGroup`.
public struct APIGroup: Codable, Hashable, Sendable {
    public struct Version: Codable, Hashable, Sendable {
        public var groupVersion: String
        public var version: String
    }

    public var kind: String? = "APIGroup"
    public var apiVersion: String? = "v1"
    public var name: String
    public var versions: [Version]
    public var preferredVersion: Version

    /// `versions` in order of preference.
    public init(name: String, versions: [String]) {
        self.name = name
        self.versions = versions.map { Version(groupVersion: "\(name)/\($0)", version: $0) }
        self.preferredVersion = self.versions[0]
    }
}

/// meta/v1 `APIGroupList`.
public struct APIGroupList: Codable, Hashable, Sendable {
    public var kind = "APIGroupList"
    public var apiVersion = "v1"
    public var groups: [APIGroup]

    public init(groups: [APIGroup]) {
        self.groups = groups.map { group in
            var listed = group
            listed.kind = nil
            listed.apiVersion = nil
            return listed
        }
    }
}
