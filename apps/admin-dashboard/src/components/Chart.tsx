import type { ReactNode } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

export interface Series {
  key: string;
  label: string;
  colour: string;
}

/**
 * A bar chart with its data as a table for screen readers (the drawing itself is hidden from
 * them): every chart is readable without seeing it.
 */
export function BarChartFigure<T extends Record<string, string | number>>(props: {
  title: string;
  data: T[];
  x: keyof T & string;
  series: Series[];
  format: (value: number) => string;
  stacked?: boolean;
  empty: ReactNode;
}) {
  return (
    <figure className="chart">
      <figcaption>{props.title}</figcaption>
      {props.data.length === 0 ? (
        <p className="table-status empty">{props.empty}</p>
      ) : (
        <>
          <div className="chart-area" aria-hidden="true">
            <ResponsiveContainer width="100%" height={240}>
              <BarChart data={props.data} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#d0d4da" />
                <XAxis dataKey={String(props.x)} stroke="#3b4350" fontSize={12} />
                <YAxis
                  stroke="#3b4350"
                  fontSize={12}
                  tickFormatter={(value: number) => props.format(value)}
                  width={80}
                />
                <Tooltip formatter={(value) => props.format(Number(value))} />
                {props.series.length > 1 && <Legend />}
                {props.series.map((series) => (
                  <Bar
                    key={series.key}
                    dataKey={series.key}
                    name={series.label}
                    fill={series.colour}
                    stackId={props.stacked ? 'stack' : undefined}
                    isAnimationActive={false}
                  />
                ))}
              </BarChart>
            </ResponsiveContainer>
          </div>
          <table className="visually-hidden">
            <caption>{props.title}</caption>
            <thead>
              <tr>
                <th scope="col">{props.x}</th>
                {props.series.map((series) => (
                  <th key={series.key} scope="col">
                    {series.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {props.data.map((row) => (
                <tr key={String(row[props.x])}>
                  <th scope="row">{String(row[props.x])}</th>
                  {props.series.map((series) => (
                    <td key={series.key}>{props.format(Number(row[series.key]))}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </figure>
  );
}
