export interface NarwhalSighting {
  tuskLength: number;
  fjord: string;
}

export const describeSighting = (s: NarwhalSighting): string =>
  `Narwhal in ${s.fjord} with ${s.tuskLength}cm tusk`;
