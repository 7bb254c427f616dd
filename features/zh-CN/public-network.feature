# language: zh-CN
@onboarding @zh-CN
功能: 公网接入 — 终端经HTTPS连接收单主机，只信任收单机构的证书
  经公网接入时，终端发送的8583报文与专线相同（2字节长度 + TPDU + 报文头 + 报文），作为HTTP POST的报文体，
  Content-Type 为 x-ISO-TPDU/x-auth，承载于TLS之上（cup8583.md §1.2）。只有终端核验对端身份，TLS才保护得了卡数据：
  证书不能链到终端所配置CA的主机，终端不得向其发送任何报文，持卡人看到通讯失败，且不扣款。
  本案例适用于终端配置中声明 publicNetwork: https 的终端；案例把终端切换到主机的HTTPS入口（CA为本次运行生成），
  结束后恢复终端原有的连接方式。

  @CUP-ONB-020 @severity:critical @optional @contact
  场景: 公网接入 — 报文经TLS以 x-ISO-TPDU/x-auth 格式发送，无法认证的主机收不到任何报文
    假如 终端声明支持公网接入
    而且 终端经公网接入主机，信任实验室CA
    当 用卡 UP-DEBIT-IC 插卡消费 23.00
    那么 每个请求都经TLS以公网报文格式到达主机
    而且 主机收到消费请求
    而且 主机批准了该请求
    当 主机出示不属于实验室CA的证书
    而且 用卡 UP-DEBIT-IC 插卡消费 24.00
    那么 终端未向出示该证书的主机发送任何报文
    而且 终端显示通讯失败
    而且 屏幕从未显示“交易成功”
    而且 卡 UP-DEBIT-IC 被借记 23.00
