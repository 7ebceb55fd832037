"use client";

import "@xyflow/react/dist/style.css";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo } from "react";
import { BaseEdge, EdgeLabelRenderer, Handle, MarkerType, Position, ReactFlow, getBezierPath, getSmoothStepPath, type Edge, type EdgeProps, type Node, type NodeProps } from "@xyflow/react";
import { Badge } from "@/components/ui/badge";
import { LINK_STATES, formatAgo, formatLag, linkHref } from "./link-text";
import { ROW_HEIGHT, layoutTopology } from "./topology-layout";
import type { Topology, TopologyEdge, TopologyNode } from "./types";

type ServerNodeData = { server: TopologyNode; now: Date };
type LinkEdgeData = { link: TopologyEdge; back: boolean; primaryName: string; secondaryName: string; now: Date };
type ServerFlowNode = Node<ServerNodeData, "server">;
type LinkFlowEdge = Edge<LinkEdgeData, "link">;

const ROLE_LABEL: Record<TopologyNode["roles"][number], string> = { self: "this server", primary: "primary", secondary: "secondary", chain: "further down the chain" };
const hidden = { opacity: 0, pointerEvents: "none" } as const;

function ServerNode({ data: { server, now } }: NodeProps<ServerFlowNode>) {
  const self = server.roles.includes("self");
  return (
    <div className={`w-52 rounded-lg border bg-white px-3 py-2.5 text-left shadow-sm ${self ? "border-brand-500 ring-2 ring-brand-100" : "border-slate-300"}`}>
      <Handle type="target" position={Position.Left} id="in" isConnectable={false} style={hidden} />
      <Handle type="source" position={Position.Right} id="out" isConnectable={false} style={hidden} />
      <Handle type="target" position={Position.Bottom} id="in-below" isConnectable={false} style={hidden} />
      <Handle type="source" position={Position.Bottom} id="out-below" isConnectable={false} style={hidden} />
      <div className="truncate text-sm font-semibold text-slate-900" title={server.name}>
        {server.name}
      </div>
      <div className="mt-1 flex flex-wrap gap-1">
        {server.roles.map((r) => (
          <Badge key={r} tone={r === "self" ? "info" : "neutral"}>
            {ROLE_LABEL[r]}
          </Badge>
        ))}
      </div>
      {!self && <div className="mt-1 text-xs text-slate-500">last contact {formatAgo(server.lastContactAt, now)}</div>}
    </div>
  );
}

/** An arrow primary → secondary in its state's colour, labelled with the state, the lag and the last catalog copy; the label opens the link. */
function LinkEdge({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, markerEnd, data }: EdgeProps<LinkFlowEdge>) {
  const { link, back, primaryName, secondaryName, now } = data!;
  const style = LINK_STATES[link.state];
  const [path, labelX, labelY] = back
    ? getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, offset: 45, borderRadius: 12 })
    : getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const lag = link.lagSeconds === null ? null : `lag ${formatLag(link.lagSeconds)}`;
  const catalog = link.state === "unknown" || link.state === "not-configured" ? null : `catalog copied ${formatAgo(link.lastCatalogCopyAt, now)}`;
  const summary = [style.label, lag, catalog].filter(Boolean).join(", ");
  return (
    <>
      <BaseEdge path={path} markerEnd={markerEnd} interactionWidth={24} style={{ stroke: style.color, strokeWidth: 2.5, strokeDasharray: style.dashed ? "6 5" : undefined }} />
      <EdgeLabelRenderer>
        <Link
          href={linkHref(link.primary, link.secondary)}
          aria-label={`${primaryName} → ${secondaryName}: ${summary}`}
          className="nodrag nopan absolute rounded-md border bg-white px-2 py-1 text-center text-xs leading-snug shadow-sm hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-brand-500"
          style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)`, pointerEvents: "all", borderColor: style.color }}
        >
          <span className="flex items-center justify-center gap-1.5 font-semibold" style={{ color: style.color }}>
            <span aria-hidden className="h-2 w-2 rounded-full" style={{ background: style.color }} />
            {style.label}
          </span>
          {lag && <span className="block text-slate-600">{lag}</span>}
          {catalog && <span className="block text-slate-600">{catalog}</span>}
        </Link>
      </EdgeLabelRenderer>
    </>
  );
}

const nodeTypes = { server: ServerNode };
const edgeTypes = { link: LinkEdge };

/**
 * This server, its primaries, its secondary and the chain beyond, drawn read-only: arrows run
 * from primary to secondary, coloured by the link's state. The links table below is the same
 * information for keyboards and screen readers.
 */
export function TopologyGraph({ topology, now }: { topology: Topology; now: Date }) {
  const router = useRouter();
  const { nodes, edges, height } = useMemo(() => {
    const laid = layoutTopology(topology.nodes, topology.edges, topology.selfId);
    const name = (id: string) => topology.nodes.find((n) => n.id === id)?.name ?? id;
    const nodes: ServerFlowNode[] = topology.nodes.map((server) => ({ id: server.id, type: "server", position: laid.positions.get(server.id)!, data: { server, now }, draggable: false, selectable: false }));
    const edges: LinkFlowEdge[] = topology.edges.map((link) => {
      const back = laid.back.has(`${link.primary}>${link.secondary}`);
      return {
        id: `${link.primary}>${link.secondary}`,
        type: "link",
        source: link.primary,
        target: link.secondary,
        sourceHandle: back ? "out-below" : "out",
        targetHandle: back ? "in-below" : "in",
        markerEnd: { type: MarkerType.ArrowClosed, color: LINK_STATES[link.state].color, width: 9, height: 9 },
        data: { link, back, primaryName: name(link.primary), secondaryName: name(link.secondary), now },
      };
    });
    const height = Math.max(240, laid.rows * ROW_HEIGHT + (laid.back.size ? 170 : 90));
    return { nodes, edges, height };
  }, [topology, now]);

  return (
    <div style={{ height }} className="w-full">
      <ReactFlow
        key={topology.nodes.map((n) => n.id).join()}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onEdgeClick={(_, e) => router.push(linkHref(e.source, e.target))}
        fitView
        fitViewOptions={{ padding: 0.25, maxZoom: 1 }}
        minZoom={0.3}
        maxZoom={1.5}
        nodesDraggable={false}
        nodesConnectable={false}
        nodesFocusable={false}
        edgesFocusable={false}
        elementsSelectable={false}
        zoomOnScroll={false}
        preventScrolling={false}
        zoomOnDoubleClick={false}
      />
    </div>
  );
}
