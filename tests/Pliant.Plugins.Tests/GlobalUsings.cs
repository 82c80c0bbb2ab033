// The seeded in-process network simulator lives in the library (Pliant.Quic.Simulation) since `pliant sim` uses it.
global using Pliant.Quic.Simulation;
