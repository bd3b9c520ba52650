/** One figure of a scenario: its value, unit, and the target it is held to (if any). */
export interface Figure {
  value: number;
  unit: string;
  /** `min`: at least `target`; `max`: at most. */
  target?: { kind: 'min' | 'max'; value: number };
}

export type Figures = Record<string, Figure>;

export interface ScenarioOptions {
  quick: boolean;
}

export interface ScenarioResult {
  figures: Figures;
  /** What was measured, in words (counts, the mix), for the report. */
  notes: string[];
}

export type Scenario = (o: ScenarioOptions) => Promise<ScenarioResult>;

export const fig = (value: number, unit: string, target?: Figure['target']): Figure => (target ? { value, unit, target } : { value, unit });

export const passes = (f: Figure): boolean | undefined =>
  f.target === undefined ? undefined : f.target.kind === 'min' ? f.value >= f.target.value : f.value <= f.target.value;
