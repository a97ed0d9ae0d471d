import type { CaseSubjectKind } from './condition-schema.js';
import type { SourceSystem } from './rule-vocabulary.js';

/** What a case is about. Orders are keyed by order id only: two orders never share a case. */
export type CaseSubject =
  | { readonly kind: 'order'; readonly id: string }
  | { readonly kind: 'shipment'; readonly id: string }
  | { readonly kind: 'source'; readonly id: SourceSystem };

/** `order:SO-1`, `shipment:SF100`, `source:wms`: the subject part of slot keys and case ids. */
export function subjectKey(subject: CaseSubject): string {
  return `${subject.kind}:${subject.id}`;
}

/** The case fields that name the subject. */
export function subjectFields(subject: CaseSubject): {
  subject: CaseSubjectKind;
  order_id: string | null;
  tracking_no: string | null;
  source: SourceSystem | null;
} {
  return {
    subject: subject.kind,
    order_id: subject.kind === 'order' ? subject.id : null,
    tracking_no: subject.kind === 'shipment' ? subject.id : null,
    source: subject.kind === 'source' ? subject.id : null,
  };
}

/** The values a playbook link of this subject can fill. */
export function linkValues(subject: CaseSubject, caseId: string): Record<string, string> {
  const fields = subjectFields(subject);
  const values: Record<string, string> = { case_id: caseId };
  if (fields.order_id !== null) values['order_id'] = fields.order_id;
  if (fields.tracking_no !== null) values['tracking_no'] = fields.tracking_no;
  if (fields.source !== null) values['source'] = fields.source;
  return values;
}
