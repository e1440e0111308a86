/** The shape of the Knative objects the program reads back (Service, Revision), as far as it reads them. */
export interface Condition {
    type: string;
    status: string;
    reason?: string;
    message?: string;
}

export interface ManagedFieldsEntry {
    manager?: string;
    operation?: string;
    fieldsV1?: unknown;
}

export interface KnativeObject {
    metadata?: {
        name?: string;
        generation?: number;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
        managedFields?: ManagedFieldsEntry[];
    };
    spec?: any;
    status?: {
        observedGeneration?: number;
        url?: string;
        conditions?: Condition[];
        traffic?: { revisionName?: string; tag?: string; percent?: number; url?: string; latestRevision?: boolean }[];
        latestCreatedRevisionName?: string;
        latestReadyRevisionName?: string;
    };
}

export function condition(obj: KnativeObject | undefined, type: string): Condition | undefined {
    return obj?.status?.conditions?.find((c) => c.type === type);
}
